//! [`TraceStore`]: the one interface the pipeline writes to and the query API reads from,
//! over either backend: in memory (the default) or on disk (`store.dir`, or under
//! `--data-dir`), so the query API does not know which one it reads.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::disk::{DiskError, DiskStore};
use super::inner::Limits;
use super::memory::{InsertOutcome, MemoryStore};
use super::{Operation, RetentionConfig, StoreStats, StoredSpan, Trace, TraceQuery};
use crate::config::StoreConfig;

/// Bounded trace store, shared via `Arc`.
#[derive(Debug)]
pub struct TraceStore {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Memory(MemoryStore),
    Disk(DiskStore),
}

impl TraceStore {
    /// An empty in-memory store with these count bounds and the default retention; a bound
    /// of zero is treated as one.
    pub fn new(limits: StoreConfig) -> Self {
        Self::with_retention(limits, RetentionConfig::default())
    }

    /// An empty in-memory store with these count, byte and age bounds; a bound of zero is
    /// treated as one.
    pub fn with_retention(limits: StoreConfig, retention: RetentionConfig) -> Self {
        Self {
            backend: Backend::Memory(MemoryStore::new(limits_of(&limits, &retention))),
        }
    }

    /// The on-disk store in `dir` (created if missing) with the bounds of `config`: what an
    /// earlier run left there is searchable at once. Writes go through a background thread.
    pub fn open_disk(dir: &Path, config: &StoreConfig) -> Result<Self, DiskError> {
        let limits = limits_of(config, &config.retention);
        Ok(Self {
            backend: Backend::Disk(DiskStore::open(dir, limits)?),
        })
    }

    /// Whether spans are kept on disk.
    pub fn is_on_disk(&self) -> bool {
        matches!(self.backend, Backend::Disk(_))
    }

    /// Stores spans arriving now; see [`TraceStore::insert_at`].
    pub fn insert(&self, spans: impl IntoIterator<Item = StoredSpan>) -> InsertOutcome {
        self.insert_at(spans, Instant::now())
    }

    /// Stores spans that arrived at `now`: expires old traces, then evicts the oldest traces
    /// and drops spans of full traces as the bounds require.
    ///
    /// On disk the spans are queued for the writer thread and never wait for it: the outcome
    /// counts them as stored, or as dropped when the queue is full; bounds are applied when
    /// they are written.
    pub fn insert_at(
        &self,
        spans: impl IntoIterator<Item = StoredSpan>,
        now: Instant,
    ) -> InsertOutcome {
        match &self.backend {
            Backend::Memory(store) => store.insert_at(spans, now),
            Backend::Disk(store) => store.enqueue(spans.into_iter().collect(), wall_clock(now)),
        }
    }

    /// Drops the traces whose first span arrived `max_age` or longer before `now`; returns
    /// how many (on disk: how many the writer thread has dropped so far, as it expires on
    /// its own).
    pub fn expire(&self, now: Instant) -> usize {
        match &self.backend {
            Backend::Memory(store) => store.expire(now),
            Backend::Disk(store) => store.expire(wall_clock(now)),
        }
    }

    /// Waits (at most `timeout`) until every span queued so far is written; true when they
    /// are. Immediate in memory.
    pub fn flush(&self, timeout: Duration) -> bool {
        match &self.backend {
            Backend::Memory(_) => true,
            Backend::Disk(store) => store.flush(timeout),
        }
    }

    /// Names of the services with stored spans, sorted.
    pub fn services(&self) -> Vec<String> {
        match &self.backend {
            Backend::Memory(store) => store.services(),
            Backend::Disk(store) => store.services(),
        }
    }

    /// Operation names of a service, sorted and distinct; empty for an unknown service.
    pub fn operations(&self, service: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .operations_by_kind(service, None)
            .into_iter()
            .map(|op| op.name)
            .collect();
        names.dedup();
        names
    }

    /// Operations of a service with their span kinds, sorted by name then kind; only those
    /// of `kind` when given. Empty for an unknown service.
    pub fn operations_by_kind(&self, service: &str, kind: Option<SpanKind>) -> Vec<Operation> {
        match &self.backend {
            Backend::Memory(store) => store.operations_by_kind(service, kind),
            Backend::Disk(store) => store.operations_by_kind(service, kind),
        }
    }

    /// Traces matching the query, newest (latest start) first.
    pub fn find_traces(&self, query: &TraceQuery) -> Vec<Trace> {
        match &self.backend {
            Backend::Memory(store) => store.find_traces(query),
            Backend::Disk(store) => store.find_traces(query),
        }
    }

    /// One trace by id.
    pub fn get_trace(&self, trace_id: &[u8; 16]) -> Option<Trace> {
        match &self.backend {
            Backend::Memory(store) => store.get_trace(trace_id),
            Backend::Disk(store) => store.get_trace(trace_id),
        }
    }

    /// Current sizes and lifetime counters.
    pub fn stats(&self) -> StoreStats {
        match &self.backend {
            Backend::Memory(store) => store.stats(),
            Backend::Disk(store) => store.stats(),
        }
    }
}

fn limits_of(limits: &StoreConfig, retention: &RetentionConfig) -> Limits {
    Limits {
        max_traces: limits.max_traces.max(1),
        max_spans_per_trace: limits.max_spans_per_trace.max(1),
        max_bytes: retention.max_bytes.max(1),
        max_age: retention.max_age(),
    }
}

/// `now` on the wall clock, in nanoseconds since the Unix epoch: the disk store's arrival
/// times must outlive the process, which an `Instant` does not.
fn wall_clock(now: Instant) -> u64 {
    let elapsed = Instant::now().saturating_duration_since(now);
    let wall = SystemTime::now()
        .checked_sub(elapsed)
        .unwrap_or(UNIX_EPOCH)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(wall.as_nanos()).unwrap_or(u64::MAX)
}
