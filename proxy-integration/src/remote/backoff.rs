//! Exponential backoff between failed polls: 100 ms doubling to 5 s, each wait drawn in
//! `[delay/2, delay]` ("equal jitter") so that sidecars restarted together do not retry in
//! step. Pure: the random draw comes in as an argument.

use std::time::Duration;

/// First wait after a failure.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The backoff state of one poller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next: INITIAL_BACKOFF,
        }
    }
}

impl Backoff {
    /// The wait before the next attempt, given `unit`, a random draw in `[0, 1)`; doubles the
    /// delay for the time after.
    pub fn next_wait(&mut self, unit: f64) -> Duration {
        let delay = self.next;
        self.next = (delay * 2).min(MAX_BACKOFF);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        delay.mul_f64(0.5 + 0.5 * unit)
    }

    /// Back to the first delay, after a success.
    pub fn reset(&mut self) {
        self.next = INITIAL_BACKOFF;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter() {
        let ms = Duration::from_millis;
        let mut backoff = Backoff::default();
        #[rustfmt::skip]
        let steps = [
            (0.0, ms(50)), (1.0, ms(200)), (0.5, ms(300)), (0.0, ms(400)), (0.0, ms(800)),
            (0.0, ms(1600)), (1.0, ms(5000)), (0.0, ms(2500)), (f64::NAN, ms(2500)),
        ];
        for (unit, want) in steps {
            assert_eq!(backoff.next_wait(unit), want, "{unit}");
        }
        backoff.reset();
        assert_eq!(backoff.next_wait(1.0), ms(100));
    }
}
