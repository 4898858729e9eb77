//! Jaeger remote sampling, the protocol every Jaeger and OpenTelemetry SDK's `jaeger_remote`
//! sampler polls: over HTTP on the sampling port (5778) and over gRPC
//! (`jaeger.api_v2.SamplingManager`, 5779), both answering from the strategy store.

mod grpc;
mod http_api;
mod jaeger_json;
pub mod proto;

pub use grpc::{GET_SAMPLING_STRATEGY_PATH, SERVICE_NAME, SamplingManagerService};
pub use http_api::{SERVICE_PARAMETER_ERROR, router};
pub use jaeger_json::to_jaeger_json;

#[cfg(test)]
mod sdk_tests;
#[cfg(test)]
mod tests;
