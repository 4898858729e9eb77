//! The store's state behind its lock: the trace map, the arrival order used for oldest-first
//! eviction and age expiry, the indexes, and the counters. Every method leaves all of them
//! consistent with each other.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::index::Indexes;
use super::{StoreStats, StoredSpan, Trace};

/// The bounds [`Inner::add`] enforces, each at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limits {
    pub(super) max_traces: usize,
    pub(super) max_spans_per_trace: usize,
    pub(super) max_bytes: usize,
    pub(super) max_age: Duration,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) traces: HashMap<[u8; 16], Entry>,
    /// Trace ids with the arrival time of their first span, oldest at the front; holds
    /// exactly the keys of `traces`.
    order: VecDeque<([u8; 16], Instant)>,
    pub(super) index: Indexes,
    spans: usize,
    bytes: usize,
    evicted_traces: u64,
    expired_traces: u64,
    dropped_spans: u64,
    next_trace_seq: u64,
    next_span_seq: u64,
}

/// One stored trace.
#[derive(Debug)]
pub(super) struct Entry {
    /// Arrival rank, breaks ties between traces with the same start time.
    pub(super) seq: u64,
    /// Earliest span start, nanoseconds since the Unix epoch.
    pub(super) start_unix_nano: u64,
    /// Spans in arrival order, each with its index `seq`.
    pub(super) spans: Vec<(u64, Arc<StoredSpan>)>,
    /// Sum of the spans' approximate sizes.
    bytes: usize,
}

impl Entry {
    /// The trace as handed out.
    pub(super) fn to_trace(&self, trace_id: &[u8; 16]) -> Trace {
        Trace {
            trace_id: *trace_id,
            spans: self
                .spans
                .iter()
                .map(|(_, span)| Arc::clone(span))
                .collect(),
        }
    }
}

/// What happened to one span offered to [`Inner::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Added {
    Stored { evicted: usize },
    Dropped,
}

impl Inner {
    /// Stores one span of approximately `size` bytes that arrived at `now`, evicting the
    /// oldest other traces as the count and byte bounds require.
    pub(super) fn add(
        &mut self,
        span: StoredSpan,
        size: usize,
        limits: &Limits,
        now: Instant,
    ) -> Added {
        let trace_id = span.trace_id;
        let existing = self.traces.get(&trace_id).map(|entry| entry.spans.len());
        if existing.is_some_and(|spans| spans >= limits.max_spans_per_trace)
            || size > limits.max_bytes
        {
            self.dropped_spans += 1;
            return Added::Dropped;
        }
        let mut evicted = 0;
        if existing.is_none() {
            while self.traces.len() >= limits.max_traces && self.evict_oldest_except(&trace_id) {
                evicted += 1;
            }
        }
        while self.bytes + size > limits.max_bytes {
            if !self.evict_oldest_except(&trace_id) {
                // Only this trace is left and it cannot take the span.
                self.dropped_spans += 1;
                return Added::Dropped;
            }
            evicted += 1;
        }
        let seq = self.next_span_seq;
        self.next_span_seq += 1;
        let span = Arc::new(span);
        self.index.add(seq, &span);
        self.spans += 1;
        self.bytes += size;
        match self.traces.get_mut(&trace_id) {
            Some(entry) => {
                entry.start_unix_nano = entry.start_unix_nano.min(span.start_unix_nano);
                entry.bytes += size;
                entry.spans.push((seq, span));
            }
            None => {
                let entry = Entry {
                    seq: self.next_trace_seq,
                    start_unix_nano: span.start_unix_nano,
                    spans: vec![(seq, span)],
                    bytes: size,
                };
                self.next_trace_seq += 1;
                self.order.push_back((trace_id, now));
                self.traces.insert(trace_id, entry);
            }
        }
        Added::Stored { evicted }
    }

    /// Drops every trace whose first span arrived `max_age` or longer before `now`;
    /// returns how many.
    pub(super) fn expire(&mut self, now: Instant, max_age: Duration) -> usize {
        let mut expired = 0;
        while let Some(&(trace_id, arrived)) = self.order.front() {
            if now.saturating_duration_since(arrived) < max_age {
                break;
            }
            self.order.pop_front();
            self.remove(&trace_id);
            expired += 1;
        }
        self.expired_traces += expired as u64;
        expired
    }

    /// Current sizes and lifetime counters.
    pub(super) fn stats(&self) -> StoreStats {
        StoreStats {
            traces: self.traces.len(),
            spans: self.spans,
            bytes: self.bytes,
            spans_per_service: self
                .index
                .services()
                .map(|(service, svc)| (service.to_string(), svc.by_start.len() as u64))
                .collect(),
            evicted_traces: self.evicted_traces,
            expired_traces: self.expired_traces,
            dropped_spans: self.dropped_spans,
        }
    }

    /// Evicts the oldest trace other than `keep`; false when there is none.
    fn evict_oldest_except(&mut self, keep: &[u8; 16]) -> bool {
        let position = match self.order.front() {
            Some((front, _)) if front != keep => 0,
            Some(_) => 1,
            None => return false,
        };
        let Some((trace_id, _)) = self.order.remove(position) else {
            return false;
        };
        self.remove(&trace_id);
        self.evicted_traces += 1;
        true
    }

    /// Removes a trace from the map and the indexes (not from `order`).
    fn remove(&mut self, trace_id: &[u8; 16]) {
        let Some(entry) = self.traces.remove(trace_id) else {
            return;
        };
        for (seq, span) in &entry.spans {
            self.index.remove(*seq, span);
        }
        self.spans = self.spans.saturating_sub(entry.spans.len());
        self.bytes = self.bytes.saturating_sub(entry.bytes);
    }
}
