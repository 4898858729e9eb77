//! When to try an export again: exponential backoff, a server's own hint (`RetryInfo`,
//! `Retry-After`), and a total budget after which the batch is given up.
//!
//! Pure: elapsed time comes in as an argument, so the policy is tested without clocks.

use std::time::Duration;

/// Delay before the first retry.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// Longest delay between two attempts (a server hint may ask for more).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Time from the first attempt after which a batch is given up.
pub const DEFAULT_MAX_ELAPSED: Duration = Duration::from_secs(30);

/// Backoff bounds of one exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the first retry; doubled after every failure.
    pub initial_backoff: Duration,
    /// Cap on the doubled delay.
    pub max_backoff: Duration,
    /// Budget from the first attempt; a retry that would start later is not made.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_elapsed: DEFAULT_MAX_ELAPSED,
        }
    }
}

/// Why one attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// Worth trying again (unavailable, throttled, timed out, connection refused...).
    Retryable {
        /// What went wrong, for logs.
        reason: String,
        /// How long the server asked us to wait (`RetryInfo`, `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// Trying again would fail the same way (bad request, unauthenticated...).
    Permanent {
        /// What went wrong, for logs.
        reason: String,
    },
}

/// The retry state of one batch.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    next: Duration,
}

impl Backoff {
    /// A fresh state: the first retry waits `policy.initial_backoff`.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            next: policy.initial_backoff,
        }
    }

    /// After a retryable failure `elapsed` since the first attempt: how long to wait before
    /// the next attempt, or `None` to give up. A server hint is honoured as a minimum.
    pub fn next_delay(&mut self, elapsed: Duration, hint: Option<Duration>) -> Option<Duration> {
        let delay = hint.map_or(self.next, |hint| hint.max(self.next));
        self.next = self
            .next
            .saturating_mul(2)
            .min(self.policy.max_backoff)
            .max(self.policy.initial_backoff);
        (elapsed.saturating_add(delay) <= self.policy.max_elapsed).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn doubles_up_to_the_cap() {
        let mut backoff = Backoff::new(RetryPolicy::default());
        let delays: Vec<_> = (0..9)
            .map(|_| backoff.next_delay(Duration::ZERO, None).unwrap())
            .collect();
        let want = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000].map(MS);
        assert_eq!(delays, want);
    }

    #[test]
    fn server_hint_is_a_minimum() {
        let mut backoff = Backoff::new(RetryPolicy::default());
        assert_eq!(backoff.next_delay(MS(0), Some(MS(2_000))), Some(MS(2_000)));
        // A shorter hint does not shorten our own backoff.
        assert_eq!(backoff.next_delay(MS(0), Some(MS(1))), Some(MS(200)));
    }

    #[test]
    fn gives_up_when_the_budget_would_be_exceeded() {
        let mut backoff = Backoff::new(RetryPolicy::default());
        assert_eq!(backoff.next_delay(MS(29_900), None), Some(MS(100)));
        assert_eq!(backoff.next_delay(MS(29_900), None), None);
        let mut backoff = Backoff::new(RetryPolicy::default());
        assert_eq!(
            backoff.next_delay(MS(0), Some(Duration::from_secs(60))),
            None
        );
    }
}
