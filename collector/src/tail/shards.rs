//! The trace buffer split into shards by trace id, so each core can own one: a shard holds
//! its traces, their deadlines and its decision caches, and never sees another shard's
//! traces (late spans route to the same shard as their trace did). The bounds are split,
//! not shared: each shard gets its part of `num_traces`, of the byte budget and of the
//! decision caches, so no counter is contended and each shard's bound is exact.

use std::sync::Arc;

use arc_swap::ArcSwap;
use sampler::tail::TailPolicySet;
use tokio::time::Instant;

use super::counters::TailCounters;
use super::processor::{TailLimits, TailProcessor};
use crate::store::StoredSpan;

/// Which shard owns a trace: its id's last 8 bytes read big-endian (the rightmost bytes
/// are random in W3C, B3 and Jaeger ids alike) modulo the shard count.
pub fn shard_of(trace_id: &[u8; 16], shards: usize) -> usize {
    let mut low = [0u8; 8];
    low.copy_from_slice(&trace_id[8..]);
    let shards = shards.max(1) as u64;
    // The remainder is below `shards`, which came from a usize.
    (u64::from_be_bytes(low) % shards) as usize
}

/// Shard `index`'s part of `total` split over `shards`: the first `total % shards` shards
/// get one more, so the parts add up to `total`.
pub(super) fn share(total: u64, index: usize, shards: usize) -> u64 {
    let shards = shards.max(1) as u64;
    let index = index as u64;
    total / shards + u64::from(index < total % shards)
}

/// Where one shard sits among its siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSlot {
    /// This shard, `0..count`.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
}

impl ShardSlot {
    /// The only shard.
    pub const SINGLE: ShardSlot = ShardSlot { index: 0, count: 1 };
}

/// Every shard, driven from one thread: spans are routed by trace id. The pipeline instead
/// gives each shard its own task ([`TailShards::into_shards`]).
#[derive(Debug)]
pub struct TailShards {
    shards: Vec<TailProcessor>,
    policies: Arc<ArcSwap<TailPolicySet>>,
    counters: Arc<TailCounters>,
    routed: Vec<Vec<StoredSpan>>,
}

impl TailShards {
    /// `count` shards (at least one) deciding with whatever `policies` holds at decision
    /// time, sharing one clock origin (rate limits are shared by every shard).
    pub fn new(
        policies: Arc<ArcSwap<TailPolicySet>>,
        limits: TailLimits,
        counters: Arc<TailCounters>,
        count: usize,
    ) -> Self {
        let count = count.max(1);
        let epoch = Instant::now();
        let shards = (0..count)
            .map(|index| {
                TailProcessor::shard(
                    Arc::clone(&policies),
                    limits,
                    Arc::clone(&counters),
                    ShardSlot { index, count },
                    epoch,
                )
            })
            .collect();
        Self {
            shards,
            policies,
            counters,
            routed: (0..count).map(|_| Vec::new()).collect(),
        }
    }

    /// How many shards.
    pub fn count(&self) -> usize {
        self.shards.len()
    }

    /// The policy set the shards read.
    pub fn policies(&self) -> &Arc<ArcSwap<TailPolicySet>> {
        &self.policies
    }

    /// The counters every shard adds to.
    pub fn counters(&self) -> &Arc<TailCounters> {
        &self.counters
    }

    /// The shards, for one task each; spans must reach shard `i` only when
    /// `shard_of(trace_id, count) == i`.
    pub fn into_shards(self) -> Vec<TailProcessor> {
        self.shards
    }

    /// True when nothing is buffered and the current set keeps every trace.
    pub fn passes_through(&self) -> bool {
        self.shards.iter().all(TailProcessor::passes_through)
    }

    /// Routes `spans` to their shards and takes them at `now` (see [`TailProcessor::accept`]).
    pub fn accept(&mut self, spans: Vec<StoredSpan>, now: Instant, out: &mut Vec<StoredSpan>) {
        let count = self.shards.len();
        for span in spans {
            let index = shard_of(&span.trace_id, count);
            if let Some(routed) = self.routed.get_mut(index) {
                routed.push(span);
            }
        }
        for (shard, routed) in self.shards.iter_mut().zip(&mut self.routed) {
            if !routed.is_empty() {
                shard.accept(std::mem::take(routed), now, out);
            }
        }
    }

    /// Decides every trace whose deadline has passed, in every shard.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<StoredSpan>) {
        for shard in &mut self.shards {
            shard.expire(now, out);
        }
    }

    /// Decides everything still buffered (shutdown).
    pub fn flush(&mut self, now: Instant, out: &mut Vec<StoredSpan>) {
        for shard in &mut self.shards {
            shard.flush(now, out);
        }
    }
}

#[cfg(test)]
mod tests;
