//! Per-exporter counters: spans sent, failed and dropped, retries, and queue depth.
//!
//! Plain atomics bumped without locks. Metric names live here and nowhere else; every series
//! carries an `exporter` label whose value is the exporter's URL.

use std::sync::atomic::{AtomicU64, Ordering};

/// Spans the backend accepted.
pub const SENT_SPANS: &str = "meshtrace_exporter_sent_spans_total";
/// Export attempts repeated after a retryable failure.
pub const RETRIES: &str = "meshtrace_exporter_retries_total";
/// Spans given up: permanent error, retry budget spent, rejected by the backend, or still
/// unsent when the shutdown deadline passed.
pub const FAILED_SPANS: &str = "meshtrace_exporter_failed_spans_total";
/// Spans never queued because the queue was full or closed.
pub const DROPPED_SPANS: &str = "meshtrace_exporter_dropped_spans_total";
/// Spans queued or in flight right now (a gauge).
pub const QUEUE_SPANS: &str = "meshtrace_exporter_queue_spans";
/// Bytes of unacknowledged records in a persistent queue right now (a gauge; 0 in memory).
pub const QUEUE_BYTES: &str = "meshtrace_exporter_queue_bytes";
/// Torn or corrupt records a persistent queue skipped (at start, or damaged later).
pub const QUEUE_CORRUPT_RECORDS: &str = "meshtrace_exporter_queue_corrupt_records_total";
/// Label naming the exporter (its URL).
pub const EXPORTER_LABEL: &str = "exporter";

/// Counters of one exporter, shared by its queue and its task.
#[derive(Debug, Default)]
pub struct ExportCounters {
    sent: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    queued: AtomicU64,
    queued_bytes: AtomicU64,
    corrupt_records: AtomicU64,
}

/// The counters' values at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSnapshot {
    /// See [`SENT_SPANS`].
    pub sent: u64,
    /// See [`RETRIES`].
    pub retried: u64,
    /// See [`FAILED_SPANS`].
    pub failed: u64,
    /// See [`DROPPED_SPANS`].
    pub dropped: u64,
    /// See [`QUEUE_SPANS`].
    pub queued: u64,
    /// See [`QUEUE_BYTES`].
    pub queued_bytes: u64,
    /// See [`QUEUE_CORRUPT_RECORDS`].
    pub corrupt_records: u64,
}

impl ExportCounters {
    /// Counts `spans` accepted by the backend.
    pub fn add_sent(&self, spans: u64) {
        self.sent.fetch_add(spans, Ordering::Relaxed);
    }

    /// Counts one retried attempt.
    pub fn add_retry(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `spans` given up.
    pub fn add_failed(&self, spans: u64) {
        self.failed.fetch_add(spans, Ordering::Relaxed);
    }

    /// Counts `spans` dropped before queueing.
    pub fn add_dropped(&self, spans: u64) {
        self.dropped.fetch_add(spans, Ordering::Relaxed);
    }

    /// Reserves room for `spans` in a queue of `capacity` spans; `false` when they do not fit.
    pub fn try_reserve(&self, spans: u64, capacity: u64) -> bool {
        self.queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |queued| {
                queued.checked_add(spans).filter(|total| *total <= capacity)
            })
            .is_ok()
    }

    /// Frees the room of `spans` that were sent or given up.
    pub fn release(&self, spans: u64) {
        // Never underflows: every release matches an earlier reservation.
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |queued| {
                Some(queued.saturating_sub(spans))
            });
    }

    /// Sets the bytes a persistent queue holds.
    pub fn set_queue_bytes(&self, bytes: u64) {
        self.queued_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Counts `records` a persistent queue skipped as torn or corrupt.
    pub fn add_corrupt_records(&self, records: u64) {
        self.corrupt_records.fetch_add(records, Ordering::Relaxed);
    }

    /// Spans queued or in flight right now.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Every value at once.
    pub fn snapshot(&self) -> ExportSnapshot {
        ExportSnapshot {
            sent: self.sent.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            queued: self.queued(),
            queued_bytes: self.queued_bytes.load(Ordering::Relaxed),
            corrupt_records: self.corrupt_records.load(Ordering::Relaxed),
        }
    }

    /// Every series as `(name, value)`, zeros included; the caller adds
    /// [`EXPORTER_LABEL`].
    pub fn samples(&self) -> [(&'static str, u64); 7] {
        self.snapshot().samples()
    }
}

impl ExportSnapshot {
    /// Every series as `(name, value)`, zeros included; the caller adds
    /// [`EXPORTER_LABEL`].
    pub fn samples(&self) -> [(&'static str, u64); 7] {
        [
            (SENT_SPANS, self.sent),
            (RETRIES, self.retried),
            (FAILED_SPANS, self.failed),
            (DROPPED_SPANS, self.dropped),
            (QUEUE_SPANS, self.queued),
            (QUEUE_BYTES, self.queued_bytes),
            (QUEUE_CORRUPT_RECORDS, self.corrupt_records),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_released() {
        let counters = ExportCounters::default();
        assert!(counters.try_reserve(6, 10));
        assert!(!counters.try_reserve(5, 10));
        assert!(counters.try_reserve(4, 10));
        counters.release(10);
        assert_eq!(counters.queued(), 0);
        assert!(counters.try_reserve(10, 10));
    }

    #[test]
    fn samples_name_every_series() {
        let counters = ExportCounters::default();
        counters.add_sent(3);
        counters.add_retry();
        counters.add_failed(2);
        counters.add_dropped(1);
        let names: Vec<_> = counters.samples().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                SENT_SPANS,
                RETRIES,
                FAILED_SPANS,
                DROPPED_SPANS,
                QUEUE_SPANS,
                QUEUE_BYTES,
                QUEUE_CORRUPT_RECORDS
            ]
        );
        let s = counters.snapshot();
        assert_eq!((s.sent, s.retried, s.failed, s.dropped), (3, 1, 2, 1));
    }
}
