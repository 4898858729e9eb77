//! Bounded in-memory [`TraceStore`]: a map of traces plus their arrival order for
//! oldest-first eviction, and a per-service index kept in step for the query API.
//!
//! One `std::sync::Mutex` guards everything; it is never held across an `.await` and each
//! critical section is a bounded amount of work (at most one trace is copied per result).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{StoreStats, StoredSpan, Trace, TraceQuery};
use crate::config::StoreConfig;

/// What one [`TraceStore::insert`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Spans stored.
    pub stored: usize,
    /// Spans dropped because their trace was full.
    pub dropped: usize,
    /// Traces evicted to make room.
    pub evicted: usize,
}

/// Bounded in-memory trace store, shared via `Arc`.
#[derive(Debug)]
pub struct TraceStore {
    limits: StoreConfig,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    traces: HashMap<[u8; 16], Entry>,
    /// Trace ids in first-seen order, oldest at the front; holds exactly the keys of `traces`.
    order: VecDeque<[u8; 16]>,
    index: BTreeMap<Arc<str>, ServiceIndex>,
    spans: usize,
    evicted_traces: u64,
    dropped_spans: u64,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry {
    /// Arrival rank, breaks ties between traces with the same start time.
    seq: u64,
    start_unix_nano: u64,
    spans: Vec<Arc<StoredSpan>>,
}

#[derive(Debug, Default)]
struct ServiceIndex {
    spans: u64,
    operations: BTreeMap<String, u64>,
}

impl TraceStore {
    /// An empty store with these bounds; a bound of zero is treated as one.
    pub fn new(limits: StoreConfig) -> Self {
        Self {
            limits: StoreConfig {
                max_traces: limits.max_traces.max(1),
                max_spans_per_trace: limits.max_spans_per_trace.max(1),
            },
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Stores spans, evicting the oldest traces and dropping spans of full traces as needed.
    pub fn insert(&self, spans: impl IntoIterator<Item = StoredSpan>) -> InsertOutcome {
        let mut inner = self.lock();
        let mut outcome = InsertOutcome::default();
        for span in spans {
            match inner.add(Arc::new(span), &self.limits) {
                Added::Stored { evicted } => {
                    outcome.stored += 1;
                    outcome.evicted += evicted;
                }
                Added::Dropped => outcome.dropped += 1,
            }
        }
        outcome
    }

    /// Names of the services with stored spans, sorted.
    pub fn services(&self) -> Vec<String> {
        self.lock().index.keys().map(|s| s.to_string()).collect()
    }

    /// Operation names of a service, sorted; empty for an unknown service.
    pub fn operations(&self, service: &str) -> Vec<String> {
        self.lock()
            .index
            .get(service)
            .map(|svc| svc.operations.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Traces matching the query, newest (latest start) first.
    pub fn find_traces(&self, query: &TraceQuery) -> Vec<Trace> {
        let inner = self.lock();
        let mut hits: Vec<(&[u8; 16], &Entry)> = inner
            .traces
            .iter()
            .filter(|(_, entry)| entry.spans.iter().any(|span| matches(span, query)))
            .collect();
        hits.sort_unstable_by(|(_, a), (_, b)| {
            (b.start_unix_nano, b.seq).cmp(&(a.start_unix_nano, a.seq))
        });
        let limit = if query.limit == 0 {
            usize::MAX
        } else {
            query.limit
        };
        hits.into_iter()
            .take(limit)
            .map(|(id, entry)| to_trace(id, entry))
            .collect()
    }

    /// One trace by id.
    pub fn get_trace(&self, trace_id: &[u8; 16]) -> Option<Trace> {
        self.lock()
            .traces
            .get(trace_id)
            .map(|entry| to_trace(trace_id, entry))
    }

    /// Current sizes and lifetime counters.
    pub fn stats(&self) -> StoreStats {
        let inner = self.lock();
        StoreStats {
            traces: inner.traces.len(),
            spans: inner.spans,
            spans_per_service: inner
                .index
                .iter()
                .map(|(service, svc)| (service.to_string(), svc.spans))
                .collect(),
            evicted_traces: inner.evicted_traces,
            dropped_spans: inner.dropped_spans,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves `Inner` consistent before anything can panic, so a
        // poisoned lock still guards valid data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What happened to one span offered to [`Inner::add`].
enum Added {
    Stored { evicted: usize },
    Dropped,
}

impl Inner {
    fn add(&mut self, span: Arc<StoredSpan>, limits: &StoreConfig) -> Added {
        let mut evicted = 0;
        if let Some(entry) = self.traces.get_mut(&span.trace_id) {
            if entry.spans.len() >= limits.max_spans_per_trace {
                self.dropped_spans += 1;
                return Added::Dropped;
            }
            entry.start_unix_nano = entry.start_unix_nano.min(span.start_unix_nano);
            entry.spans.push(Arc::clone(&span));
        } else {
            while self.traces.len() >= limits.max_traces && self.evict_oldest() {
                evicted += 1;
            }
            let entry = Entry {
                seq: self.next_seq,
                start_unix_nano: span.start_unix_nano,
                spans: vec![Arc::clone(&span)],
            };
            self.next_seq += 1;
            self.order.push_back(span.trace_id);
            self.traces.insert(span.trace_id, entry);
        }
        self.index_add(&span);
        Added::Stored { evicted }
    }

    /// Removes the oldest trace; false when there is none.
    fn evict_oldest(&mut self) -> bool {
        let Some(trace_id) = self.order.pop_front() else {
            return false;
        };
        if let Some(entry) = self.traces.remove(&trace_id) {
            for span in &entry.spans {
                self.index_remove(span);
            }
        }
        self.evicted_traces += 1;
        true
    }

    fn index_add(&mut self, span: &StoredSpan) {
        self.spans += 1;
        let svc = self.index.entry(Arc::clone(&span.service)).or_default();
        svc.spans += 1;
        *svc.operations.entry(span.name.clone()).or_default() += 1;
    }

    fn index_remove(&mut self, span: &StoredSpan) {
        self.spans = self.spans.saturating_sub(1);
        let Some(svc) = self.index.get_mut(&span.service) else {
            return;
        };
        svc.spans = svc.spans.saturating_sub(1);
        if let Some(count) = svc.operations.get_mut(&span.name) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                svc.operations.remove(&span.name);
            }
        }
        if svc.spans == 0 {
            self.index.remove(&span.service);
        }
    }
}

fn matches(span: &StoredSpan, query: &TraceQuery) -> bool {
    let service_ok = query.service.as_deref().is_none_or(|s| *span.service == *s);
    let operation_ok = query.operation.as_deref().is_none_or(|op| span.name == op);
    service_ok && operation_ok
}

fn to_trace(trace_id: &[u8; 16], entry: &Entry) -> Trace {
    Trace {
        trace_id: *trace_id,
        spans: entry.spans.clone(),
    }
}
