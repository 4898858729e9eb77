//! Latency, request and error aggregation per (service, operation, span kind, status class),
//! weighted by each span's adjusted count.
//!
//! Series live in `shards` independent maps, each behind its own mutex, picked by the series
//! hash: two receiver tasks on two cores rarely want the same lock, and each critical section
//! is one map lookup and one bucket increment. The series count is the only shared atomic,
//! touched when a series is created, never per span.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

use super::AggregateError;
use super::batch::ByShard;
use super::config::AggregateConfig;
use super::distribution::{Distribution, Layout};
use super::key::{OVERFLOW, PassThroughBuild, SeriesKey, series_hash};
use super::labels::{KindLabel, StatusClass, is_error};
use super::series::{Observation, Series};
use super::weight::AdjustedCount;
use super::window::{Clock, Window};
use crate::store::StoredSpan;

/// A series and its labels.
#[derive(Debug)]
struct Entry {
    key: SeriesKey,
    series: Series,
}

/// A span ready to record: its labels, their hash and the observation.
#[derive(Debug, Clone, Copy)]
struct Ready<'a> {
    service: &'a str,
    operation: &'a str,
    kind: KindLabel,
    class: StatusClass,
    hash: u64,
    obs: Observation,
}

/// One lock's worth of series.
#[derive(Debug, Default)]
struct Shard {
    /// By [`series_hash`]; the vector holds the (rare) keys that share a hash.
    map: HashMap<u64, Vec<Entry>, PassThroughBuild>,
    observed: u64,
    overflowed: u64,
}

/// One series' data in a window, for exposition and queries.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSnapshot {
    /// The series labels.
    pub key: SeriesKey,
    /// What it recorded in the window.
    pub data: Distribution,
}

/// The aggregation's own counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanMetricsStats {
    /// Series held now (overflow series included).
    pub series: usize,
    /// The configured cap.
    pub max_series: usize,
    /// Spans observed since start.
    pub observed_spans: u64,
    /// Spans that went to an overflow series because the cap was reached.
    pub overflow_spans: u64,
}

/// Weighted RED aggregation of every span, sharded by series.
#[derive(Debug)]
pub struct SpanMetrics {
    shards: Box<[Mutex<Shard>]>,
    layout: Layout,
    clock: Clock,
    history: u64,
    max_series: usize,
    series: AtomicUsize,
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock leaves counters, never broken invariants: keep going.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SpanMetrics {
    /// Empty aggregation with these settings; slots count from `start`.
    pub fn new(config: &AggregateConfig, start: Instant) -> Result<Self, AggregateError> {
        config.validate()?;
        // A power of two, so a shard is picked with a mask rather than a division.
        let shards = (0..config.shards.next_power_of_two())
            .map(|_| Mutex::default())
            .collect();
        Ok(Self {
            shards,
            layout: Layout::new()?,
            clock: Clock::new(start, config.slot()),
            history: config.history_slots(),
            max_series: config.max_series,
            series: AtomicUsize::new(0),
        })
    }

    /// Records one span at time `now`, standing for `weight` spans.
    pub fn observe(&self, span: &StoredSpan, weight: AdjustedCount, now: Instant) {
        let ready = self.prepare(span, weight, self.clock.slot_of(now));
        let recorded = self
            .shard(ready.hash)
            .is_none_or(|shard| self.record_locked(&mut lock(shard), &ready, true));
        if !recorded {
            self.record_overflow(&ready);
        }
    }

    /// Records spans received together at `now`: grouped by shard, so each lock is taken
    /// once per batch rather than once per span.
    pub fn observe_batch(&self, spans: &[(&StoredSpan, AdjustedCount)], now: Instant) {
        let slot = self.clock.slot_of(now);
        let ready: Vec<Ready<'_>> = spans
            .iter()
            .map(|&(span, weight)| self.prepare(span, weight, slot))
            .collect();
        let by_shard = ByShard::new(&ready, self.shards.len(), |r| {
            usize::try_from(r.hash & self.mask()).ok()
        });
        let mut overflow = Vec::new();
        for (shard, positions) in by_shard.groups() {
            let Some(shard) = self.shards.get(shard) else {
                continue;
            };
            let mut shard = lock(shard);
            for r in positions.iter().filter_map(|&p| ready.get(p as usize)) {
                if !self.record_locked(&mut shard, r, true) {
                    overflow.push(r);
                }
            }
        }
        for r in overflow {
            self.record_overflow(r);
        }
    }

    fn mask(&self) -> u64 {
        self.shards.len() as u64 - 1
    }

    fn shard(&self, hash: u64) -> Option<&Mutex<Shard>> {
        self.shards
            .get(usize::try_from(hash & self.mask()).unwrap_or(0))
    }

    /// Labels, hash and observation of a span.
    fn prepare<'a>(&self, span: &'a StoredSpan, weight: AdjustedCount, slot: u64) -> Ready<'a> {
        let nanos = span.duration_nanos();
        let (kind, class) = (KindLabel::of(span.kind), StatusClass::of(span));
        Ready {
            service: &span.service,
            operation: &span.name,
            kind,
            class,
            hash: series_hash(&span.service, &span.name, kind, class),
            obs: Observation {
                slot,
                bucket: self.layout.bucket(nanos),
                seconds: nanos as f64 / 1e9,
                weight,
                error: is_error(span),
            },
        }
    }

    /// Records a span the cap kept out into the overflow series of its kind and class.
    fn record_overflow(&self, ready: &Ready<'_>) {
        let overflow = Ready {
            service: OVERFLOW,
            operation: OVERFLOW,
            hash: series_hash(OVERFLOW, OVERFLOW, ready.kind, ready.class),
            ..*ready
        };
        if let Some(shard) = self.shard(overflow.hash) {
            self.record_locked(&mut lock(shard), &overflow, false);
        }
    }

    /// Records into the series, creating it if it is new and (when `capped`) the cap allows.
    /// `false` when the cap refused a new series.
    fn record_locked(&self, shard: &mut Shard, r: &Ready<'_>, capped: bool) -> bool {
        if capped {
            shard.observed += 1;
        }
        let existing = shard.map.get_mut(&r.hash).and_then(|entries| {
            entries
                .iter_mut()
                .find(|e| e.key.matches(r.service, r.operation, r.kind, r.class))
        });
        if let Some(entry) = existing {
            entry.series.record(r.obs, self.history);
            return true;
        }
        if capped && !self.reserve_series() {
            shard.overflowed += 1;
            return false;
        }
        if !capped {
            self.series.fetch_add(1, Ordering::Relaxed);
        }
        let mut series = Series::default();
        series.record(r.obs, self.history);
        shard.map.entry(r.hash).or_default().push(Entry {
            key: SeriesKey {
                service: Arc::from(r.service),
                operation: Arc::from(r.operation),
                kind: r.kind,
                class: r.class,
            },
            series,
        });
        true
    }

    /// Takes one place under the cap.
    fn reserve_series(&self) -> bool {
        self.series
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.max_series).then_some(n + 1)
            })
            .is_ok()
    }

    /// Every series' data in `window` as read at `now`, sorted by labels. Idle series have
    /// their expired slots dropped on the way.
    pub fn snapshot(&self, window: Window, now: Instant) -> Vec<SeriesSnapshot> {
        self.collect(window, now, |_| true)
    }

    /// The series whose labels pass `keep`, as [`SpanMetrics::snapshot`].
    pub fn collect(
        &self,
        window: Window,
        now: Instant,
        mut keep: impl FnMut(&SeriesKey) -> bool,
    ) -> Vec<SeriesSnapshot> {
        let slot = self.clock.slot_of(now);
        let first = self.clock.first_slot(window, now);
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            for entry in shard.map.values_mut().flatten() {
                entry.series.advance(slot, self.history);
                if !keep(&entry.key) {
                    continue;
                }
                let data = match window {
                    Window::All => entry.series.cumulative(),
                    _ => entry.series.window(first),
                };
                out.push(SeriesSnapshot {
                    key: entry.key.clone(),
                    data,
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// The aggregation's own counters.
    pub fn stats(&self) -> SpanMetricsStats {
        let mut stats = SpanMetricsStats {
            series: self.series.load(Ordering::Relaxed),
            max_series: self.max_series,
            ..SpanMetricsStats::default()
        };
        for shard in self.shards.iter() {
            let shard = lock(shard);
            stats.observed_spans += shard.observed;
            stats.overflow_spans += shard.overflowed;
        }
        stats
    }

    /// The HDR layout, to turn distributions into histograms.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The slot clock, to know what time a window covers.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}
