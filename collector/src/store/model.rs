//! What the store hands out and takes as questions: traces, searches, operations, stats.

use std::collections::BTreeMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::StoredSpan;

/// One trace as read from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trace id.
    pub trace_id: [u8; 16],
    /// Its spans, in arrival order.
    pub spans: Vec<Arc<StoredSpan>>,
}

/// A search over the stored traces. A trace matches when one of its spans meets every
/// condition given (Jaeger's semantics, `plugin/storage/memory/memory.go` `validSpan`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceQuery {
    /// Only traces with a span of this service.
    pub service: Option<String>,
    /// Only traces with a span of this operation (of `service`, when that is given too).
    pub operation: Option<String>,
    /// Every key must be on the span with this value in its string form: span attributes,
    /// resource attributes, event attributes, or the derived `span.kind`, `error`,
    /// `otel.status_code` and `otel.status_description` tags the query API shows.
    pub tags: BTreeMap<String, String>,
    /// The span starts at or after this instant, nanoseconds since the Unix epoch.
    pub start_min: Option<u64>,
    /// The span starts at or before this instant, nanoseconds since the Unix epoch.
    pub start_max: Option<u64>,
    /// The span lasts at least this long, in nanoseconds.
    pub duration_min: Option<u64>,
    /// The span lasts at most this long, in nanoseconds.
    pub duration_max: Option<u64>,
    /// At most this many traces; `0` means no limit.
    pub limit: usize,
}

impl TraceQuery {
    /// Whether `span` meets every condition of this query.
    pub fn matches(&self, span: &StoredSpan) -> bool {
        let start = span.start_unix_nano;
        let duration = span.duration_nanos();
        self.service.as_deref().is_none_or(|s| *span.service == *s)
            && self.operation.as_deref().is_none_or(|op| span.name == op)
            && self.start_min.is_none_or(|min| start >= min)
            && self.start_max.is_none_or(|max| start <= max)
            && self.duration_min.is_none_or(|min| duration >= min)
            && self.duration_max.is_none_or(|max| duration <= max)
            && self
                .tags
                .iter()
                .all(|(key, value)| span.has_tag(key, value))
    }
}

/// An operation of a service, with the kind of the spans that carry its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    /// The span name.
    pub name: String,
    /// The span kind; one name seen with two kinds is two operations.
    pub kind: SpanKind,
}

/// Counters and sizes of the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Traces currently held.
    pub traces: usize,
    /// Spans currently held.
    pub spans: usize,
    /// Approximate bytes of the spans currently held (see [`super::approximate_size`]).
    pub bytes: usize,
    /// Spans currently held, per service.
    pub spans_per_service: BTreeMap<String, u64>,
    /// Traces evicted, oldest first, to respect `max_traces` or `max_bytes` (since start).
    pub evicted_traces: u64,
    /// Traces dropped because they were older than `max_age` (since start).
    pub expired_traces: u64,
    /// Spans dropped because their trace already had `max_spans_per_trace` spans, or
    /// because their trace alone would exceed `max_bytes` (since start).
    pub dropped_spans: u64,
}
