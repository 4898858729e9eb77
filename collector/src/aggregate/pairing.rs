//! The pairing table of the service graph: halves of calls (client or server spans) waiting
//! for their partner, keyed by (trace id, span id), with their arrival order for expiry and
//! eviction, and the edges the shard's pairs were counted on.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::edges::EdgeTable;
use super::key::PassThroughBuild;
use super::weight::AdjustedCount;

/// Where a half waits: (trace id, span id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PairKey(pub(super) [u8; 16], pub(super) [u8; 8]);

impl Hash for PairKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Ids are random: the span id folded with the trace id's random end is a good hash.
        let mut low = [0u8; 8];
        low.copy_from_slice(&self.0[8..]);
        state.write_u64(u64::from_le_bytes(self.1) ^ u64::from_le_bytes(low).rotate_left(32));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// The calling side.
    Client,
    /// The called side.
    Server,
}

/// A span waiting for its partner.
#[derive(Debug, Clone)]
pub(super) struct Half {
    pub(super) side: Side,
    pub(super) span_id: [u8; 8],
    pub(super) service: Arc<str>,
    pub(super) nanos: u64,
    pub(super) error: bool,
    pub(super) weight: AdjustedCount,
    pub(super) seq: u64,
}

/// Arrival order of waiting halves, for expiry and eviction.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    /// When the half stops waiting (arrival plus the pairing window).
    deadline: Instant,
    seq: u64,
    key: PairKey,
}

#[derive(Debug, Default)]
pub(super) struct PairShard {
    pub(super) pending: HashMap<PairKey, Half, PassThroughBuild>,
    order: VecDeque<Arrival>,
    pub(super) edges: EdgeTable,
    next_seq: u64,
    pub(super) paired: u64,
    pub(super) expired: u64,
    pub(super) evicted: u64,
}

impl PairShard {
    /// Removes and returns the half of `side` waiting under `key` (with span id `span_id`,
    /// when given).
    pub(super) fn take(
        &mut self,
        key: PairKey,
        side: Side,
        span_id: Option<[u8; 8]>,
    ) -> Option<Half> {
        let waiting = self.pending.get(&key)?;
        if waiting.side != side || span_id.is_some_and(|id| id != waiting.span_id) {
            return None;
        }
        self.pending.remove(&key)
    }

    /// Makes `half` wait under `key`, dropping the oldest waiting half when full. A key
    /// already taken (a duplicate span) keeps the first.
    pub(super) fn wait(
        &mut self,
        mut half: Half,
        key: PairKey,
        now: Instant,
        window: Duration,
        max_pending: usize,
    ) {
        if self.pending.contains_key(&key) {
            return;
        }
        while self.pending.len() >= max_pending {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if self.forget(oldest) {
                self.evicted += 1;
            }
        }
        half.seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back(Arrival {
            deadline: now + window,
            seq: half.seq,
            key,
        });
        self.pending.insert(key, half);
        self.compact(max_pending);
    }

    /// Drops the half that arrived as `arrival`, if it is still waiting.
    fn forget(&mut self, arrival: Arrival) -> bool {
        if self
            .pending
            .get(&arrival.key)
            .is_some_and(|h| h.seq == arrival.seq)
        {
            self.pending.remove(&arrival.key);
            return true;
        }
        false
    }

    /// Drops halves that waited longer than `window`.
    pub(super) fn expire(&mut self, now: Instant) {
        while let Some(&oldest) = self.order.front() {
            if now < oldest.deadline {
                break;
            }
            self.order.pop_front();
            if self.forget(oldest) {
                self.expired += 1;
            }
        }
    }

    /// Keeps the arrival queue from filling with entries of halves already paired.
    fn compact(&mut self, max_pending: usize) {
        if self.order.len() > 2 * max_pending + 16 {
            let pending = &self.pending;
            self.order
                .retain(|a| pending.get(&a.key).is_some_and(|h| h.seq == a.seq));
        }
    }
}
