//! The pairing table of the service graph: halves of calls (client or server spans) waiting
//! for their partner, keyed by (trace id, span id), and the edges the shard's pairs were
//! counted on.
//!
//! Waiting halves carry their arrival number and deadline; there is no per-half queue. Expiry
//! is a sweep of the table, run when the earliest deadline has passed but at most once per
//! eighth of the pairing window, so a half that never pairs is dropped between one window and
//! 1.125 windows after it arrived. Eviction when the table is full drops the oldest eighth
//! (at least one half) by arrival number. Both are amortised over many spans, so a span costs
//! one hash lookup and, when it waits, one insert.

use std::collections::HashMap;
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
}

/// A half in the table, with when it arrived (a per-shard sequence) and stops waiting.
#[derive(Debug)]
struct Waiting {
    half: Half,
    seq: u64,
    deadline: Instant,
}

#[derive(Debug, Default)]
pub(super) struct PairShard {
    pending: HashMap<PairKey, Waiting, PassThroughBuild>,
    /// When the next expiry sweep is due; `None` while nothing waits.
    sweep_at: Option<Instant>,
    pub(super) edges: EdgeTable,
    next_seq: u64,
    pub(super) paired: u64,
    pub(super) expired: u64,
    pub(super) evicted: u64,
}

impl PairShard {
    /// Halves waiting now.
    pub(super) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Removes and returns the half of `side` waiting under `key` (with span id `span_id`,
    /// when given).
    pub(super) fn take(
        &mut self,
        key: PairKey,
        side: Side,
        span_id: Option<[u8; 8]>,
    ) -> Option<Half> {
        let waiting = &self.pending.get(&key)?.half;
        if waiting.side != side || span_id.is_some_and(|id| id != waiting.span_id) {
            return None;
        }
        self.pending.remove(&key).map(|w| w.half)
    }

    /// Makes `half` wait under `key` until `now + window`, dropping the oldest waiting halves
    /// when full. A key already taken (a duplicate span) keeps the first.
    pub(super) fn wait(
        &mut self,
        half: Half,
        key: PairKey,
        now: Instant,
        window: Duration,
        max_pending: usize,
    ) {
        if self.pending.contains_key(&key) {
            return;
        }
        if self.pending.len() >= max_pending {
            self.sweep(now, window);
            if self.pending.len() >= max_pending {
                self.evict_oldest(self.pending.len() + 1 - max_pending);
            }
        }
        let deadline = now + window;
        self.sweep_at.get_or_insert(deadline);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.insert(
            key,
            Waiting {
                half,
                seq,
                deadline,
            },
        );
    }

    /// Drops halves whose deadline passed, when a sweep is due at `now`.
    pub(super) fn expire(&mut self, now: Instant, window: Duration) {
        if self.sweep_at.is_some_and(|at| now >= at) {
            self.sweep(now, window);
        }
    }

    /// Drops every half whose deadline passed and schedules the next sweep: at the earliest
    /// deadline left, but not before an eighth of the window from now.
    fn sweep(&mut self, now: Instant, window: Duration) {
        let before = self.pending.len();
        let mut earliest: Option<Instant> = None;
        self.pending.retain(|_, w| {
            let keep = w.deadline > now;
            if keep {
                earliest = Some(earliest.map_or(w.deadline, |e| e.min(w.deadline)));
            }
            keep
        });
        self.expired += (before - self.pending.len()) as u64;
        self.sweep_at = earliest.map(|e| e.max(now + window / 8));
    }

    /// Drops the oldest halves: at least `needed`, and an eighth of the table, so a full
    /// table is not searched for every new half.
    fn evict_oldest(&mut self, needed: usize) {
        let count = needed.max(self.pending.len() / 8).min(self.pending.len());
        let Some(nth) = count.checked_sub(1) else {
            return;
        };
        let mut seqs: Vec<u64> = self.pending.values().map(|w| w.seq).collect();
        let (_, &mut newest_dropped, _) = seqs.select_nth_unstable(nth);
        self.pending.retain(|_, w| w.seq > newest_dropped);
        self.evicted += count as u64;
    }
}
