//! One aggregated series: an open slot being filled, a ring of closed slots covering the
//! longest window, and the cumulative total of every closed slot.

use std::collections::VecDeque;

use super::distribution::{Distribution, Tally};
use super::weight::{AdjustedCount, Carry};

/// A closed slot.
#[derive(Debug, Clone)]
struct Closed {
    slot: u64,
    data: Distribution,
}

/// The state of one series (or one service-graph edge).
#[derive(Debug, Clone, Default)]
pub struct Series {
    open_slot: u64,
    open: Tally,
    /// Closed slots, oldest first, none older than the history kept.
    ring: VecDeque<Closed>,
    /// Every closed slot ever, merged.
    total: Distribution,
    carry: Carry,
}

/// One observation, already bucketed.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// The slot it happened in.
    pub slot: u64,
    /// Its HDR bucket.
    pub bucket: u32,
    /// Its latency in seconds.
    pub seconds: f64,
    /// Its weight.
    pub weight: AdjustedCount,
    /// Whether it failed.
    pub error: bool,
}

impl Series {
    /// Records one observation, first closing the open slot when `obs` is in a later one.
    /// An observation for an earlier slot (a late clock reading) goes into the open slot.
    pub fn record(&mut self, obs: Observation, history: u64) {
        if obs.slot > self.open_slot {
            self.advance(obs.slot, history);
        }
        let count = self.carry.take(obs.weight);
        self.open
            .record(obs.bucket, count, obs.weight.get(), obs.seconds, obs.error);
    }

    /// Closes the open slot if `slot` is later and drops closed slots older than `history`
    /// slots before `slot`.
    pub fn advance(&mut self, slot: u64, history: u64) {
        if slot > self.open_slot {
            if !self.open.is_empty() {
                let data = Distribution::from_tally(&self.open);
                self.total.add(&data);
                self.ring.push_back(Closed {
                    slot: self.open_slot,
                    data,
                });
                self.open.clear();
            }
            self.open_slot = slot;
        }
        let oldest_kept = (slot + 1).saturating_sub(history);
        while self.ring.front().is_some_and(|c| c.slot < oldest_kept) {
            self.ring.pop_front();
        }
    }

    /// Everything recorded in slots `first..` (the open one included), merged.
    pub fn window(&self, first: u64) -> Distribution {
        let mut out = Distribution::default();
        for closed in self.ring.iter().filter(|c| c.slot >= first) {
            out.add(&closed.data);
        }
        if self.open_slot >= first {
            out.add_tally(&self.open);
        }
        out
    }

    /// Everything ever recorded.
    pub fn cumulative(&self) -> Distribution {
        let mut out = self.total.clone();
        out.add_tally(&self.open);
        out
    }
}
