//! The bounded in-memory backend of [`super::TraceStore`]: a lock over [`Inner`], which holds
//! the traces, their arrival order and the indexes.
//!
//! One `std::sync::Mutex` guards everything; it is never held across an `.await` and each
//! critical section is bounded work (a search walks at most one service's spans in the
//! window; results copy `Arc`s, not spans). Expired traces are dropped at the start of every
//! insert and read, so a quiet store still forgets them.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::inner::{Added, Inner, Limits};
use super::{Operation, StoreStats, StoredSpan, Trace, TraceQuery, search};

/// What one [`super::TraceStore::insert`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Spans stored.
    pub stored: usize,
    /// Spans dropped because their trace was full (in spans or bytes).
    pub dropped: usize,
    /// Traces evicted to make room.
    pub evicted: usize,
    /// Traces dropped for age before this insert.
    pub expired: usize,
}

/// Bounded in-memory trace store.
#[derive(Debug)]
pub(super) struct MemoryStore {
    limits: Limits,
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store with these count, byte and age bounds; a bound of zero is treated as
    /// one.
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Stores spans that arrived at `now`: expires old traces, then evicts the oldest traces
    /// and drops spans of full traces as the bounds require.
    pub(super) fn insert_at(
        &self,
        spans: impl IntoIterator<Item = StoredSpan>,
        now: Instant,
    ) -> InsertOutcome {
        let mut inner = self.lock();
        let mut outcome = InsertOutcome {
            expired: inner.expire(now, self.limits.max_age),
            ..InsertOutcome::default()
        };
        for span in spans {
            let size = super::approximate_size(&span);
            match inner.add(span, size, &self.limits, now) {
                Added::Stored { evicted } => {
                    outcome.stored += 1;
                    outcome.evicted += evicted;
                }
                Added::Dropped => outcome.dropped += 1,
            }
        }
        outcome
    }

    /// Drops the traces whose first span arrived `max_age` or longer before `now`; returns
    /// how many.
    pub(super) fn expire(&self, now: Instant) -> usize {
        self.lock().expire(now, self.limits.max_age)
    }

    /// Names of the services with stored spans, sorted.
    pub(super) fn services(&self) -> Vec<String> {
        self.fresh()
            .index
            .services()
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Operations of a service with their span kinds, sorted by name then kind; only those
    /// of `kind` when given. Empty for an unknown service.
    pub(super) fn operations_by_kind(
        &self,
        service: &str,
        kind: Option<SpanKind>,
    ) -> Vec<Operation> {
        self.fresh()
            .index
            .service(service)
            .map(|svc| svc.operations(kind))
            .unwrap_or_default()
    }

    /// Traces matching the query, newest (latest start) first.
    pub(super) fn find_traces(&self, query: &TraceQuery) -> Vec<Trace> {
        search::find(&self.fresh(), query)
    }

    /// One trace by id.
    pub(super) fn get_trace(&self, trace_id: &[u8; 16]) -> Option<Trace> {
        self.fresh()
            .traces
            .get(trace_id)
            .map(|entry| entry.to_trace(trace_id))
    }

    /// Current sizes and lifetime counters.
    pub(super) fn stats(&self) -> StoreStats {
        self.fresh().stats()
    }

    /// The lock, after dropping what has expired.
    fn fresh(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        inner.expire(Instant::now(), self.limits.max_age);
        inner
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves `Inner` consistent before anything can panic, so a
        // poisoned lock still guards valid data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
