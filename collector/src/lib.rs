//! The meshtrace collector: OTLP (gRPC and HTTP) and Zipkin receivers, the ingest pipeline,
//! the embedded trace store and the Jaeger query API.
//!
//! Spans flow `receiver` -> `pipeline` -> `store` and `export` (to OTLP backends), and are
//! read back through `query` and the built-in web page (`ui`); `server` wires them into one
//! running process.

pub mod adaptive;
pub mod aggregate;
pub mod config;
pub mod config_file;
pub mod control;
pub mod export;
pub mod metrics;
pub mod pipeline;
pub mod query;
pub mod receiver;
pub mod sampling_api;
pub mod server;
pub mod store;
pub mod strategy;
pub mod tail;
pub mod ui;

#[cfg(test)]
mod test_support;

pub use config::{CollectorConfig, ConfigError, StoreConfig};
pub use config_file::parse_config;
pub use export::{
    ExportCounters, ExportSnapshot, ExporterConfig, ExporterConfigError, ExporterSettings,
    ExporterUrlError,
};
pub use pipeline::{IngestCounters, Pipeline, PipelineDrain, SubmitError};
pub use receiver::{OtlpGrpcReceiver, OtlpGrpcService, ReceiveError};
pub use server::{RunningCollector, StartError, start};
pub use store::{StoreStats, StoredSpan, Trace, TraceQuery, TraceStore, parse_trace_id};
