//! Tail sampling's own counters: atomics bumped by the pipeline task, read by `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What tail sampling did since start.
#[derive(Debug, Default)]
pub struct TailCounters {
    /// Traces kept.
    pub traces_kept: AtomicU64,
    /// Traces dropped.
    pub traces_dropped: AtomicU64,
    /// Traces decided before their deadline because the buffer was full.
    pub traces_decided_early: AtomicU64,
    /// Spans that arrived after their trace was kept, and were kept.
    pub late_spans_kept: AtomicU64,
    /// Spans that arrived after their trace was dropped, and were dropped.
    pub late_spans_dropped: AtomicU64,
    /// Traces waiting for a decision now.
    pub traces_buffered: AtomicU64,
    /// Spans waiting for a decision now.
    pub spans_buffered: AtomicU64,
    /// Bytes waiting for a decision now.
    pub bytes_buffered: AtomicU64,
    /// Traces kept, by the policy that kept them (`""`: no policies, everything kept).
    kept_by_policy: Mutex<BTreeMap<String, u64>>,
}

impl TailCounters {
    pub(super) fn incr(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Moves a gauge several writers add to from `was` to `now` for one writer.
    pub(super) fn shift(gauge: &AtomicU64, was: u64, now: u64) {
        if now >= was {
            gauge.fetch_add(now - was, Ordering::Relaxed);
        } else {
            gauge.fetch_sub(was - now, Ordering::Relaxed);
        }
    }

    pub(super) fn kept_by(&self, policy: Option<&str>) {
        let mut map = self
            .kept_by_policy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let policy = policy.unwrap_or_default();
        // Look up before inserting: a kept trace allocates no key once its policy is known.
        match map.get_mut(policy) {
            Some(kept) => *kept += 1,
            None => {
                map.insert(policy.to_owned(), 1);
            }
        }
    }

    /// Traces kept per policy.
    pub fn kept_by_policy(&self) -> BTreeMap<String, u64> {
        self.kept_by_policy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
