//! Exporters: every span the collector accepts, sent on to any number of OTLP backends.
//!
//! The pipeline drain hands each accepted batch to every exporter's bounded [`ExportQueue`]
//! without waiting; each exporter task batches by size and time, encodes once, compresses
//! (`compress`: gzip, zstd or none) and sends over OTLP/gRPC (`otlp_grpc`, statuses read by
//! `grpc_status`) or OTLP/HTTP (`otlp_http`) through one pooled `client`, with TLS (`tls`)
//! and configured `headers`, retrying with backoff (`retry`). `settings` is the config-file
//! form of an exporter, `config` checks it, `counters` names the metrics.

mod client;
mod compress;
mod config;
mod convert;
mod counters;
mod encode;
mod entry;
mod exporter;
mod grpc_status;
mod headers;
mod http_date;
mod otlp_grpc;
mod otlp_http;
pub mod persist;
mod queue;
mod retry;
mod settings;
mod tls;
mod transport;

#[cfg(test)]
mod tests;

pub use compress::Compression;
pub use config::{
    DEFAULT_BATCH_SPANS, DEFAULT_BATCH_TIMEOUT, DEFAULT_CONCURRENCY, DEFAULT_QUEUE_SPANS,
    DEFAULT_REQUEST_TIMEOUT, ExporterConfig, ExporterConfigError, ExporterUrlError, Protocol,
};
pub use convert::{group_by_resource, to_resource_spans, to_span};
pub use counters::{
    DROPPED_SPANS, EXPORTER_LABEL, ExportCounters, ExportSnapshot, FAILED_SPANS, QUEUE_BYTES,
    QUEUE_CORRUPT_RECORDS, QUEUE_SPANS, RETRIES, SENT_SPANS,
};
pub use entry::{QUEUE_SUBDIR, QueueSettings};
pub use exporter::{ExporterHandle, spawn};
pub use headers::{ExportHeaders, HeaderError};
pub use otlp_grpc::EXPORT_PATH;
pub use queue::{EnqueueError, ExportItem, ExportQueue, QueueReceiver, Queued};
pub use retry::{AttemptError, RetryPolicy};
pub use settings::ExporterSettings;
pub use tls::{ExportTls, TlsError, TlsSettings};
