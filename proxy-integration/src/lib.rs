//! The meshtrace sidecar: an HTTP proxy in front of one workload that propagates trace
//! context, makes the head-sampling decision, records one span per request and streams the
//! spans to a collector over OTLP/gRPC, never failing or delaying a request because of tracing.
//!
//! Flow of a request: `listener` accepts and gives each connection its service ->
//! `proxy::stack` (one Tower layer per concern: RED metrics, the destination, `x-request-id`,
//! `trace` extracting, sampling, injecting and recording, upgrades, hop-by-hop headers, the
//! timeout) -> `proxy::client` sends it upstream -> `export` ships the finished span off the
//! request path.

pub mod admin;
pub mod config;
pub mod export;
pub mod listener;
pub mod mesh;
pub mod metrics;
pub mod proxy;
pub mod remote;
pub mod sampling;
pub mod sidecar;
pub mod stats;
pub mod trace;
pub mod workers;

pub use config::{ConfigError, SidecarConfig};
pub use sidecar::{RunningSidecar, StartError, start};
