//! The embedded trace store: the end of the ingest path and the source of the query API.
//!
//! Spans arrive already validated ([`StoredSpan`]) from the pipeline; [`TraceStore`] groups
//! them by trace id within hard bounds and answers the Jaeger UI's questions.

mod id;
mod memory;
mod span;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use id::{TraceIdError, parse_trace_id, to_hex};
pub use memory::{InsertOutcome, TraceStore};
pub use span::{SpanEvent, SpanStatus, StoredSpan};

/// One trace as read from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trace id.
    pub trace_id: [u8; 16],
    /// Its spans, in arrival order.
    pub spans: Vec<Arc<StoredSpan>>,
}

/// A search over the stored traces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceQuery {
    /// Only traces with a span of this service.
    pub service: Option<String>,
    /// Only traces with a span of this operation (of `service`, when that is given too).
    pub operation: Option<String>,
    /// At most this many traces; `0` means no limit.
    pub limit: usize,
}

/// Counters and sizes of the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Traces currently held.
    pub traces: usize,
    /// Spans currently held.
    pub spans: usize,
    /// Spans currently held, per service.
    pub spans_per_service: BTreeMap<String, u64>,
    /// Traces evicted, oldest first, to respect `max_traces` (since start).
    pub evicted_traces: u64,
    /// Spans dropped because their trace already had `max_spans_per_trace` (since start).
    pub dropped_spans: u64,
}
