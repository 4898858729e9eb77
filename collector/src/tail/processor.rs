//! One shard of tail sampling: spans in, decided (kept and annotated) spans out. Not shared:
//! one task owns each shard, so its buffer needs no lock; the policy set is read through an
//! `ArcSwap` so the control API can replace it at any time, and each trace is decided by the
//! set current at its decision time. A shard applies its part of the bounds (`shards.rs`).

use std::sync::Arc;

use arc_swap::ArcSwap;
use sampler::TraceId;
use sampler::tail::{TailPolicySet, TailSettings};
use tokio::time::Instant;

use super::annotate::annotate;
use super::buffer::{Pending, Timing, TraceBuffer};
use super::cache::{DecisionCache, KeptInfo};
use super::counters::TailCounters;
use super::shards::{ShardSlot, share};
use super::view::PendingView;
use crate::store::StoredSpan;

/// Hard bounds beside the policy document's `num_traces`, for all shards together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailLimits {
    /// Most bytes (approximate OTLP size) buffered at once.
    pub max_buffered_bytes: u64,
    /// A trace reaching this many spans is decided at once (later spans follow the decision).
    pub max_spans_per_trace: u64,
}

impl Default for TailLimits {
    fn default() -> Self {
        Self {
            max_buffered_bytes: 256 * 1024 * 1024,
            max_spans_per_trace: 10_000,
        }
    }
}

/// Buffer gauges as this shard last added them to the shared counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Published {
    traces: u64,
    spans: u64,
    bytes: u64,
}

/// Buffers, decides and annotates.
#[derive(Debug)]
pub struct TailProcessor {
    policies: Arc<ArcSwap<TailPolicySet>>,
    buffer: TraceBuffer,
    cache: DecisionCache,
    limits: TailLimits,
    slot: ShardSlot,
    counters: Arc<TailCounters>,
    published: Published,
    epoch: Instant,
}

impl TailProcessor {
    /// A single (unsharded) processor deciding with whatever set `policies` holds at
    /// decision time.
    pub fn new(
        policies: Arc<ArcSwap<TailPolicySet>>,
        limits: TailLimits,
        counters: Arc<TailCounters>,
    ) -> Self {
        Self::shard(
            policies,
            limits,
            counters,
            ShardSlot::SINGLE,
            Instant::now(),
        )
    }

    /// Shard `slot` of a sharded buffer: it applies its part of every bound. `epoch` is the
    /// clock origin the policies see, the same for every shard.
    pub fn shard(
        policies: Arc<ArcSwap<TailPolicySet>>,
        limits: TailLimits,
        counters: Arc<TailCounters>,
        slot: ShardSlot,
        epoch: Instant,
    ) -> Self {
        let mut processor = Self {
            cache: DecisionCache::new(0, 0),
            policies,
            buffer: TraceBuffer::default(),
            limits,
            slot,
            counters,
            published: Published::default(),
            epoch,
        };
        let settings = processor.policies.load().settings().clone();
        processor.resize_cache(&settings);
        processor
    }

    fn part(&self, total: u64) -> u64 {
        share(total, self.slot.index, self.slot.count)
    }

    fn resize_cache(&mut self, settings: &TailSettings) {
        let part = |total: usize| {
            let total = u64::try_from(total).unwrap_or(u64::MAX);
            usize::try_from(self.part(total)).unwrap_or(usize::MAX)
        };
        self.cache.resize(
            part(settings.sampled_cache_size),
            part(settings.non_sampled_cache_size),
        );
    }

    /// True when nothing is buffered and the current set keeps every trace: the pipeline may
    /// deliver spans straight through.
    pub fn passes_through(&self) -> bool {
        self.buffer.len() == 0 && self.policies.load().is_keep_all()
    }

    /// Takes a batch at `now`: late spans of decided traces are delivered into `out` (kept)
    /// or dropped; the rest wait in the buffer. Overflow is decided at once, oldest first.
    pub fn accept(&mut self, spans: Vec<StoredSpan>, now: Instant, out: &mut Vec<StoredSpan>) {
        let settings = self.policies.load().settings().clone();
        self.resize_cache(&settings);
        let timing = Timing {
            decision_wait: settings.decision_wait,
            after_root: settings.decision_wait_after_root_received,
            max_trace_bytes: settings.maximum_trace_size_bytes,
            max_trace_spans: self.limits.max_spans_per_trace,
        };
        for mut span in spans {
            if let Some(info) = self.cache.kept(&span.trace_id) {
                annotate(&mut span, info);
                TailCounters::incr(&self.counters.late_spans_kept);
                out.push(span);
                continue;
            }
            if self.cache.dropped(&span.trace_id) {
                TailCounters::incr(&self.counters.late_spans_dropped);
                continue;
            }
            // Ingest rejects all-zero ids, so this always succeeds.
            let Some(trace_id) = TraceId::from_bytes(span.trace_id) else {
                continue;
            };
            self.buffer.add(trace_id, span, now, timing);
        }
        // A shard holds at least one trace, so a `num_traces` below the shard count lets
        // up to one trace per shard wait.
        let max_traces = usize::try_from(self.part(settings.num_traces))
            .unwrap_or(usize::MAX)
            .max(1);
        let max_bytes = self.part(self.limits.max_buffered_bytes);
        while self.buffer.len() > max_traces || self.buffer.bytes() > max_bytes {
            let Some(oldest) = self.buffer.pop_oldest() else {
                break;
            };
            TailCounters::incr(&self.counters.traces_decided_early);
            self.decide(oldest, now, out);
        }
        self.expire(now, out);
    }

    /// Decides every trace whose deadline has passed.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<StoredSpan>) {
        while let Some(due) = self.buffer.pop_due(now) {
            self.decide(due, now, out);
        }
        self.publish_gauges();
    }

    /// Decides everything still buffered (shutdown).
    pub fn flush(&mut self, now: Instant, out: &mut Vec<StoredSpan>) {
        while let Some(pending) = self.buffer.pop_oldest() {
            self.decide(pending, now, out);
        }
        self.publish_gauges();
    }

    fn decide(&mut self, pending: Pending, now: Instant, out: &mut Vec<StoredSpan>) {
        let set = self.policies.load();
        let view = PendingView {
            trace_id: pending.trace_id,
            spans: &pending.spans,
            bytes: pending.bytes,
        };
        let decision = set.decide(&view, now.saturating_duration_since(self.epoch));
        let key = pending.trace_id.to_bytes();
        if !decision.keep {
            TailCounters::incr(&self.counters.traces_dropped);
            self.cache.remember_dropped(&key);
            return;
        }
        TailCounters::incr(&self.counters.traces_kept);
        self.counters.kept_by(decision.policy.as_deref());
        let info = KeptInfo {
            policy: decision.policy.clone(),
            change: decision.change,
            adjusted_count: decision.adjusted_count(),
        };
        out.reserve(pending.spans.len());
        for span in pending.spans {
            let mut span = span.unpack();
            annotate(&mut span, &info);
            out.push(span);
        }
        self.cache.remember_kept(key, info);
    }

    /// Adds this shard's change since last time to the gauges every shard shares.
    fn publish_gauges(&mut self) {
        let now = Published {
            traces: self.buffer.len() as u64,
            spans: self.buffer.spans(),
            bytes: self.buffer.bytes(),
        };
        let was = std::mem::replace(&mut self.published, now);
        TailCounters::shift(&self.counters.traces_buffered, was.traces, now.traces);
        TailCounters::shift(&self.counters.spans_buffered, was.spans, now.spans);
        TailCounters::shift(&self.counters.bytes_buffered, was.bytes, now.bytes);
    }
}

#[cfg(test)]
mod tests;
