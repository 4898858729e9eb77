//! `rate_limiting` (spans per second) and `bytes_limiting` (bytes per second): token buckets
//! as in opentelemetry-collector-contrib `internal/sampling/{rate_limiting,bytes_limiting}.go`
//! (`golang.org/x/time/rate`): the bucket refills continuously at the rate, holds at most the
//! burst capacity (default twice the rate), starts full, and a trace is kept iff the bucket
//! holds at least as many tokens as the trace has spans (or bytes), which it then takes. A
//! trace larger than the burst capacity is never kept.
//!
//! Time is the caller's monotonic `now`; time going backwards adds no tokens. The state is
//! two numbers updated together, so it sits behind a small mutex held for a few arithmetic
//! operations (never across anything else).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// What the bucket knew at its last update.
#[derive(Debug, Clone, Copy)]
struct Fill {
    /// Tokens in the bucket.
    tokens: f64,
    /// When it was last refilled; `None` before the first use (the bucket starts full).
    at: Option<Duration>,
}

/// A token bucket of `rate` tokens per second holding at most `burst` tokens.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    fill: Mutex<Fill>,
}

impl TokenBucket {
    /// A full bucket refilled at `rate` per second, holding at most `burst` (0 = `2 * rate`).
    pub(crate) fn new(rate: u64, burst: u64) -> Self {
        let burst = if burst == 0 {
            rate.saturating_mul(2)
        } else {
            burst
        };
        Self {
            rate: rate as f64,
            burst: burst as f64,
            fill: Mutex::new(Fill {
                tokens: burst as f64,
                at: None,
            }),
        }
    }

    /// Takes `n` tokens at `now` if the bucket holds that many.
    pub(crate) fn try_take(&self, n: u64, now: Duration) -> bool {
        // A panic while holding this lock cannot leave the two numbers inconsistent in a way
        // that matters (the worst is a bucket slightly fuller or emptier), so keep going.
        let mut fill = self.fill.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = fill.at {
            let elapsed = now.saturating_sub(at).as_secs_f64();
            fill.tokens = (fill.tokens + elapsed * self.rate).min(self.burst);
        }
        // Never move the clock backwards: a late caller must not earn the same time twice.
        fill.at = Some(fill.at.map_or(now, |at| at.max(now)));
        let n = n as f64;
        if fill.tokens >= n {
            fill.tokens -= n;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn starts_full_and_refills_at_the_rate() {
        let bucket = TokenBucket::new(10, 0);
        // Full at 20 (twice the rate).
        assert!(bucket.try_take(15, 1000 * MS));
        assert!(!bucket.try_take(6, 1000 * MS));
        assert!(bucket.try_take(5, 1000 * MS));
        // 10 tokens per second: 100 ms later exactly one.
        assert!(!bucket.try_take(2, 1100 * MS));
        assert!(bucket.try_take(1, 1100 * MS));
        // Idle for long: full again, never fuller.
        assert!(!bucket.try_take(21, 60_000 * MS));
        assert!(bucket.try_take(20, 60_000 * MS));
    }

    #[test]
    fn explicit_burst_and_oversized_request() {
        let bucket = TokenBucket::new(100, 5);
        assert!(!bucket.try_take(6, MS));
        assert!(bucket.try_take(5, MS));
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let bucket = TokenBucket::new(1, 1);
        assert!(bucket.try_take(1, 10_000 * MS));
        assert!(!bucket.try_take(1, 5_000 * MS));
        assert!(!bucket.try_take(1, 10_500 * MS));
        assert!(bucket.try_take(1, 11_000 * MS));
    }

    #[test]
    fn zero_rate_keeps_nothing() {
        let bucket = TokenBucket::new(0, 0);
        assert!(!bucket.try_take(1, MS));
        assert!(bucket.try_take(0, MS));
    }
}
