//! `composite`: sub-policies in priority order sharing one budget of spans per second, as in
//! opentelemetry-collector-contrib `internal/sampling/composite.go` and `composite_helper.go`.
//!
//! The first sub-policy (in `policy_order`, then document order) that samples the trace
//! claims it; no later sub-policy is asked. The trace is kept iff its spans fit in what that
//! sub-policy may still spend this second, and never beyond `max_total_spans_per_second`
//! overall. Budgets reset at each whole second of the caller's monotonic `now`.
//!
//! Each sub-policy has a reserved share: `percent` of the total from `rate_allocation` (an
//! entry with percent 0 gets the total divided by the number of sub-policies, as the
//! Collector does), or nothing when it has no entry. What no entry reserves forms a pool.
//! Unlike the Collector, where a sub-policy without an allocation can never keep anything,
//! unused budget is passed on down the order within the second: a claimed trace is paid
//! from, in turn, the claiming sub-policy's own share, the pool, then the still-unused shares
//! of the sub-policies *before* it (nearest first). Budget flows down the order, never up: no
//! sub-policy spends a share reserved for one after it. The price of passing budget on is
//! that a busy low-priority sub-policy can spend, early in a second, a share a higher one
//! would have used later in that second; keep the total generous enough for that.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::facts::TraceFacts;
use super::policy::{Outcome, Policy, Verdict};
use super::view::TraceView;

/// One sub-policy with its reserved share of spans per second.
#[derive(Debug)]
pub(crate) struct CompositeSub {
    pub(crate) name: Arc<str>,
    pub(crate) policy: Policy,
    pub(crate) share: u64,
}

/// What has been spent in the current second.
#[derive(Debug)]
struct Window {
    /// The whole second of `now` these counters are for.
    second: Option<u64>,
    /// Spans kept in total.
    total: u64,
    /// Spans paid from the pool.
    pool: u64,
    /// Spans paid from each sub-policy's share, in evaluation order.
    shares: Vec<u64>,
}

impl Window {
    /// Starts a new second when `second` differs from the current one.
    fn roll(&mut self, second: u64) {
        if self.second != Some(second) {
            self.second = Some(second);
            self.total = 0;
            self.pool = 0;
            self.shares.iter_mut().for_each(|s| *s = 0);
        }
    }

    /// Pays `n` spans claimed by sub-policy `index` if the budget allows (see the module doc).
    fn admit(&mut self, index: usize, n: u64, shares: &[u64], pool: u64, max_total: u64) -> bool {
        let left = |w: &Self, j: usize| {
            let share = shares.get(j).copied().unwrap_or(0);
            share.saturating_sub(w.shares.get(j).copied().unwrap_or(0))
        };
        if self.total.saturating_add(n) > max_total {
            return false;
        }
        let from_own = n.min(left(self, index));
        let from_pool = (n - from_own).min(pool.saturating_sub(self.pool));
        let mut owed = n - from_own - from_pool;
        let earlier: u64 = (0..index).map(|j| left(self, j)).sum();
        if owed > earlier {
            return false;
        }
        if let Some(own) = self.shares.get_mut(index) {
            *own += from_own;
        }
        self.pool += from_pool;
        for j in (0..index).rev() {
            let take = owed.min(left(self, j));
            if let Some(spent) = self.shares.get_mut(j) {
                *spent += take;
            }
            owed -= take;
        }
        self.total += n;
        true
    }
}

/// A composite policy ready to evaluate.
#[derive(Debug)]
pub(crate) struct Composite {
    max_total: u64,
    pool: u64,
    subs: Vec<CompositeSub>,
    shares: Vec<u64>,
    window: Mutex<Window>,
}

impl Composite {
    /// `subs` in evaluation order, each with its reserved share.
    pub(crate) fn new(max_total: u64, subs: Vec<CompositeSub>) -> Self {
        let shares: Vec<u64> = subs.iter().map(|s| s.share).collect();
        let reserved = shares.iter().fold(0u64, |a, s| a.saturating_add(*s));
        Self {
            max_total,
            pool: max_total.saturating_sub(reserved),
            window: Mutex::new(Window {
                second: None,
                total: 0,
                pool: 0,
                shares: vec![0; subs.len()],
            }),
            shares,
            subs,
        }
    }

    pub(crate) fn evaluate<T: TraceView>(
        &self,
        facts: &TraceFacts<'_, T>,
        now: Duration,
    ) -> Outcome<'_> {
        let claimed = self
            .subs
            .iter()
            .enumerate()
            .find(|(_, sub)| sub.policy.evaluate(facts, now).verdict.matched());
        let Some((index, sub)) = claimed else {
            return Outcome::plain(Verdict::NotSampled);
        };
        let n = facts.span_count();
        // The counters are plain numbers: a panic elsewhere cannot break them, keep going.
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        window.roll(now.as_secs());
        if window.admit(index, n, &self.shares, self.pool, self.max_total) {
            Outcome {
                verdict: Verdict::Sampled,
                sub_policy: Some(&sub.name),
            }
        } else {
            Outcome::plain(Verdict::NotSampled)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(n: usize) -> Window {
        Window {
            second: Some(0),
            total: 0,
            pool: 0,
            shares: vec![0; n],
        }
    }

    #[test]
    fn own_share_then_pool_then_earlier_shares() {
        // Total 100: first 50, second 25, third nothing; pool 25.
        let shares = [50, 25, 0];
        let mut w = window(3);
        // 25 from its own share, 5 from the pool.
        assert!(w.admit(1, 30, &shares, 25, 100));
        assert_eq!((w.shares.clone(), w.pool), (vec![0, 25, 0], 5));
        // 20 from the pool, then the nearest earlier share with room: the first's.
        assert!(w.admit(2, 40, &shares, 25, 100));
        assert_eq!((w.shares.clone(), w.pool), (vec![20, 25, 0], 25));
        // The first keeps the rest of its own share; then the total is reached.
        assert!(w.admit(0, 30, &shares, 25, 100));
        assert_eq!(w.total, 100);
        assert!(!w.admit(0, 1, &shares, 25, 100));
        assert!(!w.admit(2, 1, &shares, 25, 100));
    }

    #[test]
    fn later_reservations_are_never_spent_by_earlier_policies() {
        let shares = [10, 80];
        let mut w = window(2);
        assert!(w.admit(0, 20, &shares, 10, 100)); // 10 own + 10 pool
        assert!(!w.admit(0, 1, &shares, 10, 100));
        assert!(w.admit(1, 80, &shares, 10, 100));
    }

    #[test]
    fn a_new_second_resets() {
        let shares = [5];
        let mut w = window(1);
        assert!(w.admit(0, 5, &shares, 0, 5));
        assert!(!w.admit(0, 1, &shares, 0, 5));
        w.roll(0);
        assert!(!w.admit(0, 1, &shares, 0, 5));
        w.roll(1);
        assert!(w.admit(0, 5, &shares, 0, 5));
    }
}
