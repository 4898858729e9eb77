//! What the exposition reads besides the aggregator: the pipeline's counters, gathered by the
//! caller at scrape time so this module depends on no component's internals.

use std::sync::Arc;

use crate::export::ExportSnapshot;
use crate::pipeline::Sample;

/// The embedded store's sizes and counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Traces held.
    pub traces: u64,
    /// Spans held.
    pub spans: u64,
    /// Traces evicted since start.
    pub evicted_traces: u64,
    /// Spans dropped because their trace was full, since start.
    pub dropped_spans: u64,
}

/// Tail sampling's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TailGauges {
    /// Traces kept since start, by policy (`""` when no policies are configured).
    pub kept_by_policy: Vec<(String, u64)>,
    /// Traces dropped since start.
    pub traces_dropped: u64,
    /// Traces decided early because the buffer was full, since start.
    pub traces_decided_early: u64,
    /// Late spans kept since start.
    pub late_spans_kept: u64,
    /// Late spans dropped since start.
    pub late_spans_dropped: u64,
    /// Traces buffered now.
    pub traces_buffered: u64,
    /// Spans buffered now.
    pub spans_buffered: u64,
    /// Bytes buffered now.
    pub bytes_buffered: u64,
}

/// The pipeline's counters at one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineSnapshot {
    /// `IngestCounters::samples()`.
    pub receivers: Vec<Sample>,
    /// Each exporter's URL and counters.
    pub exporters: Vec<(String, ExportSnapshot)>,
    /// The store, when there is one.
    pub store: Option<StoreGauges>,
    /// Tail sampling, when it is on.
    pub tail: Option<TailGauges>,
}

/// Gathers a [`PipelineSnapshot`] at scrape time.
pub type PipelineSource = Arc<dyn Fn() -> PipelineSnapshot + Send + Sync>;

/// Resident memory of this process in bytes, from `/proc/self/status` (`None` elsewhere).
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}
