//! `meshtrace config`: the tracing config that points an existing Envoy or Istio mesh at
//! the meshtrace collector over OTLP/gRPC, with a sampling percentage.
//!
//! `values` holds the validated inputs, `envoy` and `istio` render the YAML, `yaml` the
//! small helpers they share.

pub mod envoy;
pub mod istio;
pub mod values;
pub mod yaml;

pub use values::{CollectorAddr, SamplingPercent, ValueError};
pub use yaml::RenderError;
