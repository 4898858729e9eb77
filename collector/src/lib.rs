//! The meshtrace collector: OTLP (gRPC and HTTP) and Zipkin receivers, the ingest pipeline,
//! the embedded trace store and the Jaeger query API.
//!
//! Spans flow `receiver` -> `pipeline` -> `store`, and are read back through `query`;
//! `server` wires them into one running process.

pub mod config;
pub mod pipeline;
pub mod query;
pub mod receiver;
pub mod server;
pub mod store;

#[cfg(test)]
mod test_support;

pub use config::{CollectorConfig, ConfigError, StoreConfig};
pub use pipeline::{IngestCounters, Pipeline, PipelineDrain, SubmitError};
pub use receiver::{OtlpGrpcReceiver, OtlpGrpcService, ReceiveError};
pub use server::{RunningCollector, StartError, start};
pub use store::{StoreStats, StoredSpan, Trace, TraceQuery, TraceStore, parse_trace_id};
