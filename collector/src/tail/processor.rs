//! The tail processor the pipeline task drives: spans in, decided (kept and annotated) spans
//! out. Not shared: one pipeline task owns it, so the buffer needs no lock; the policy set is
//! read through an `ArcSwap` so the control API can replace it at any time, and each trace is
//! decided by the set current at its decision time.

use std::sync::Arc;

use arc_swap::ArcSwap;
use sampler::TraceId;
use sampler::tail::TailPolicySet;
use tokio::time::Instant;

use super::annotate::annotate;
use super::buffer::{Pending, Timing, TraceBuffer};
use super::cache::{DecisionCache, KeptInfo};
use super::counters::TailCounters;
use super::view::PendingView;
use crate::store::StoredSpan;

/// Hard bounds beside the policy document's `num_traces`.
#[derive(Debug, Clone, Copy)]
pub struct TailLimits {
    /// Most bytes (approximate OTLP size) buffered at once.
    pub max_buffered_bytes: u64,
}

impl Default for TailLimits {
    fn default() -> Self {
        Self {
            max_buffered_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Buffers, decides and annotates.
#[derive(Debug)]
pub struct TailProcessor {
    policies: Arc<ArcSwap<TailPolicySet>>,
    buffer: TraceBuffer,
    cache: DecisionCache,
    limits: TailLimits,
    counters: Arc<TailCounters>,
    epoch: Instant,
}

impl TailProcessor {
    /// A processor deciding with whatever set `policies` holds at decision time.
    pub fn new(
        policies: Arc<ArcSwap<TailPolicySet>>,
        limits: TailLimits,
        counters: Arc<TailCounters>,
    ) -> Self {
        let settings = policies.load().settings().clone();
        Self {
            cache: DecisionCache::new(settings.sampled_cache_size, settings.non_sampled_cache_size),
            policies,
            buffer: TraceBuffer::default(),
            limits,
            counters,
            epoch: Instant::now(),
        }
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
        self.cache
            .resize(settings.sampled_cache_size, settings.non_sampled_cache_size);
        let timing = Timing {
            decision_wait: settings.decision_wait,
            after_root: settings.decision_wait_after_root_received,
            max_trace_bytes: settings.maximum_trace_size_bytes,
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
        let max_traces = usize::try_from(settings.num_traces)
            .unwrap_or(usize::MAX)
            .max(1);
        while self.buffer.len() > max_traces || self.buffer.bytes() > self.limits.max_buffered_bytes
        {
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
        for mut span in pending.spans {
            annotate(&mut span, &info);
            out.push(span);
        }
        self.cache.remember_kept(key, info);
    }

    fn publish_gauges(&self) {
        TailCounters::set(&self.counters.traces_buffered, self.buffer.len() as u64);
        TailCounters::set(&self.counters.spans_buffered, self.buffer.spans());
        TailCounters::set(&self.counters.bytes_buffered, self.buffer.bytes());
    }
}

#[cfg(test)]
mod tests;
