//! The span as the collector keeps it: ids checked and fixed-size, enums typed, the
//! resource shared by every span that came with it.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

/// One span, validated at ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSpan {
    /// The trace this span belongs to; never all zeros.
    pub trace_id: [u8; 16],
    /// This span's id; never all zeros.
    pub span_id: [u8; 8],
    /// The parent span, `None` for a root.
    pub parent_span_id: Option<[u8; 8]>,
    /// The span's W3C `tracestate` as received (carries `ot=th`: its adjusted count).
    pub trace_state: String,
    /// The operation name.
    pub name: String,
    /// Server, client, producer, consumer, internal or unspecified.
    pub kind: SpanKind,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_unix_nano: u64,
    /// The `service.name` resource attribute (`unknown_service` when absent).
    pub service: Arc<str>,
    /// Attributes of the resource that emitted the span, shared by its batch.
    pub resource: Arc<[KeyValue]>,
    /// The span's own attributes.
    pub attributes: Vec<KeyValue>,
    /// The span status.
    pub status: SpanStatus,
    /// Timestamped events recorded during the span.
    pub events: Vec<SpanEvent>,
}

impl StoredSpan {
    /// Duration in nanoseconds; zero when the end precedes the start.
    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano)
    }
}

/// Outcome of the span's operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanStatus {
    /// Unset, ok or error.
    pub code: StatusCode,
    /// Developer-facing description; only meaningful for errors.
    pub message: String,
}

impl Default for SpanStatus {
    fn default() -> Self {
        Self {
            code: StatusCode::Unset,
            message: String::new(),
        }
    }
}

/// A timestamped event within a span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// When it happened, nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Event name, e.g. `exception`.
    pub name: String,
    /// Event attributes.
    pub attributes: Vec<KeyValue>,
}
