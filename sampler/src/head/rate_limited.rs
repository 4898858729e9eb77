//! The rate-limiting sampler: a token bucket of `rate` traces per second holding at most
//! `burst` tokens, starting full (as Jaeger's clients do).
//!
//! The bucket is kept as GCRA (the generic cell rate algorithm), which is the same bucket
//! stored as one number: the theoretical arrival time `tat` of the next trace, in nanoseconds
//! of the caller's monotonic clock. A trace at `now` is allowed iff
//! `max(tat, now) - now <= (burst - 1) * interval`, and then `tat = max(tat, now) + interval`.
//! One `AtomicU64` updated by compare-and-swap holds it, so `decide(&self)` is lock-free and
//! many request tasks can share one sampler. Time comes in as an argument, never read here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{HeadDecision, SamplerKind, SamplingInput};

/// A rate or burst that is negative, infinite or not a number, or a burst below 1.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("rate limit must be a finite rate >= 0 with a burst >= 1, got rate {rate} burst {burst}")]
pub struct InvalidRate {
    /// The rejected rate.
    pub rate: f64,
    /// The rejected burst.
    pub burst: f64,
}

/// At most `rate` new traces per second on average, `burst` at once.
#[derive(Debug)]
pub struct RateLimited {
    rate: f64,
    burst: f64,
    /// Nanoseconds between two traces at the steady rate (`u64::MAX` for rate 0).
    interval: u64,
    /// How far `tat` may run ahead of now: `(burst - 1) * interval`.
    tolerance: u64,
    /// The theoretical arrival time of the next trace, in nanoseconds.
    tat: AtomicU64,
}

impl RateLimited {
    /// A bucket refilled at `rate` tokens per second holding at most `burst` tokens.
    pub fn new(rate: f64, burst: f64) -> Result<Self, InvalidRate> {
        let invalid = InvalidRate { rate, burst };
        if !rate.is_finite() || rate < 0.0 || !burst.is_finite() || burst < 1.0 {
            return Err(invalid);
        }
        let interval = if rate > 0.0 {
            // Saturating float-to-int: a tiny rate gives the longest interval.
            (1e9 / rate) as u64
        } else {
            u64::MAX
        };
        let tolerance = ((burst - 1.0) * interval as f64) as u64;
        Ok(Self {
            rate,
            burst,
            interval,
            tolerance,
            tat: AtomicU64::new(0),
        })
    }

    /// Jaeger's rate-limiting sampler: `rate` traces per second, burst `max(rate, 1)`.
    pub fn per_second(rate: f64) -> Result<Self, InvalidRate> {
        Self::new(rate, rate.max(1.0))
    }

    /// The configured traces per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The configured burst.
    pub fn burst(&self) -> f64 {
        self.burst
    }

    /// Takes one token at `now` if one is available.
    pub fn try_acquire(&self, now: Duration) -> bool {
        if self.rate == 0.0 {
            return false;
        }
        let now = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now);
            if start - now > self.tolerance {
                return false;
            }
            let next = start.saturating_add(self.interval);
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(current) => tat = current,
            }
        }
    }

    /// Decides a root (or deferred) trace.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        let kept = self.try_acquire(input.now);
        // A rate limit keeps no fixed fraction: the adjusted count is unknown (no th).
        HeadDecision::root(kept, None, SamplerKind::RateLimiting, self.rate)
    }
}

impl Clone for RateLimited {
    /// A copy with the same configuration and the bucket as it is now.
    fn clone(&self) -> Self {
        Self {
            rate: self.rate,
            burst: self.burst,
            interval: self.interval,
            tolerance: self.tolerance,
            tat: AtomicU64::new(self.tat.load(Ordering::Relaxed)),
        }
    }
}

impl PartialEq for RateLimited {
    /// Equal configuration (the bucket's fill is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.rate == other.rate && self.burst == other.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn allowed(limiter: &RateLimited, now: Duration, tries: usize) -> usize {
        (0..tries).filter(|_| limiter.try_acquire(now)).count()
    }

    #[test]
    fn starts_full_then_refills_at_the_rate() {
        let limiter = RateLimited::new(10.0, 5.0).unwrap();
        assert_eq!(allowed(&limiter, SECOND, 20), 5);
        // 100 ms later one token is back.
        assert_eq!(allowed(&limiter, SECOND + SECOND / 10, 20), 1);
        // After a long idle period the bucket is full again, never fuller.
        assert_eq!(allowed(&limiter, 100 * SECOND, 20), 5);
    }

    #[test]
    fn steady_traffic_gets_the_rate() {
        let limiter = RateLimited::per_second(2.0).unwrap();
        // 100 requests per second for 10 seconds.
        let kept = (0..1000)
            .filter(|i| limiter.try_acquire(Duration::from_millis(10 * i)))
            .count();
        // 2 to start (burst) + 2 per second afterwards.
        assert!((20..=22).contains(&kept), "{kept}");
    }

    #[test]
    fn fractional_rate_and_zero_rate() {
        let limiter = RateLimited::per_second(0.5).unwrap();
        assert_eq!(allowed(&limiter, SECOND, 3), 1);
        assert_eq!(allowed(&limiter, 2 * SECOND, 3), 0);
        assert_eq!(allowed(&limiter, 3 * SECOND, 3), 1);
        let none = RateLimited::per_second(0.0).unwrap();
        assert_eq!(allowed(&none, 1000 * SECOND, 3), 0);
    }

    #[test]
    fn time_going_backwards_only_denies() {
        let limiter = RateLimited::new(1.0, 1.0).unwrap();
        assert!(limiter.try_acquire(10 * SECOND));
        assert!(!limiter.try_acquire(SECOND));
        assert!(limiter.try_acquire(11 * SECOND));
    }

    #[test]
    fn invalid_configurations() {
        assert!(RateLimited::new(-1.0, 1.0).is_err());
        assert!(RateLimited::new(f64::NAN, 1.0).is_err());
        assert!(RateLimited::new(1.0, 0.5).is_err());
        assert!(RateLimited::new(f64::INFINITY, 1.0).is_err());
        assert!(RateLimited::new(1e-300, 1.0).is_ok());
    }
}
