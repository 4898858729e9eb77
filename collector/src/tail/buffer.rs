//! The trace buffer: spans grouped by trace id (packed, `compact.rs`), each trace with a decision deadline, ordered
//! by a min-heap of deadlines (stale heap entries are skipped when a root span brought a
//! trace's deadline forward).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use sampler::TraceId;
use tokio::time::{Duration, Instant};

use super::compact::BufferedSpan;
use super::view::span_size;
use crate::store::StoredSpan;

/// One trace waiting for its decision.
#[derive(Debug)]
pub(super) struct Pending {
    pub trace_id: TraceId,
    pub spans: Vec<BufferedSpan>,
    pub bytes: u64,
    pub deadline: Instant,
}

/// Buffered traces and their deadlines.
#[derive(Debug, Default)]
pub(super) struct TraceBuffer {
    traces: HashMap<[u8; 16], Pending>,
    deadlines: BinaryHeap<Reverse<(Instant, [u8; 16])>>,
    bytes: u64,
    spans: u64,
}

/// When a trace should be decided.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    /// After the trace's first span.
    pub decision_wait: Duration,
    /// After its root span, when sooner.
    pub after_root: Option<Duration>,
    /// A trace growing past this many bytes is decided at once.
    pub max_trace_bytes: Option<u64>,
    /// A trace reaching this many spans is decided at once.
    pub max_trace_spans: u64,
}

impl TraceBuffer {
    /// Adds `span` (whose trace id is `trace_id`) at `now`.
    pub(super) fn add(
        &mut self,
        trace_id: TraceId,
        span: StoredSpan,
        now: Instant,
        timing: Timing,
    ) {
        let key = trace_id.to_bytes();
        let size = span_size(&span);
        let is_root = span.parent_span_id.is_none();
        let span = BufferedSpan::pack(span, size);
        let size = size as u64;
        let pending = self.traces.entry(key).or_insert_with(|| {
            let deadline = now + timing.decision_wait;
            self.deadlines.push(Reverse((deadline, key)));
            Pending {
                trace_id,
                spans: Vec::new(),
                bytes: 0,
                deadline,
            }
        });
        pending.spans.push(span);
        pending.bytes += size;
        self.bytes += size;
        self.spans += 1;
        let mut sooner = None;
        if let (true, Some(grace)) = (is_root, timing.after_root) {
            sooner = Some(now + grace);
        }
        let too_big = timing
            .max_trace_bytes
            .is_some_and(|max| pending.bytes > max);
        if too_big || pending.spans.len() as u64 >= timing.max_trace_spans {
            sooner = Some(now);
        }
        if let Some(at) = sooner.filter(|at| *at < pending.deadline) {
            pending.deadline = at;
            self.deadlines.push(Reverse((at, key)));
        }
    }

    /// Removes and returns the next trace whose deadline is at or before `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<Pending> {
        while let Some(Reverse((deadline, key))) = self.deadlines.peek().copied() {
            if deadline > now {
                return None;
            }
            self.deadlines.pop();
            if self
                .traces
                .get(&key)
                .is_some_and(|p| p.deadline == deadline)
            {
                return self.take(&key);
            }
        }
        None
    }

    /// Removes and returns the trace with the earliest deadline (decided early when full).
    pub(super) fn pop_oldest(&mut self) -> Option<Pending> {
        while let Some(Reverse((deadline, key))) = self.deadlines.pop() {
            if self
                .traces
                .get(&key)
                .is_some_and(|p| p.deadline == deadline)
            {
                return self.take(&key);
            }
        }
        None
    }

    fn take(&mut self, key: &[u8; 16]) -> Option<Pending> {
        let pending = self.traces.remove(key)?;
        self.bytes -= pending.bytes;
        self.spans -= pending.spans.len() as u64;
        Some(pending)
    }

    /// Traces buffered.
    pub(super) fn len(&self) -> usize {
        self.traces.len()
    }

    /// Bytes buffered (approximate OTLP size).
    pub(super) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Spans buffered.
    pub(super) fn spans(&self) -> u64 {
        self.spans
    }
}
