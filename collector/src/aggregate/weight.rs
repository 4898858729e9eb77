//! How many spans one received span stands for: its adjusted count, read from the `th`
//! sub-key of the OpenTelemetry `ot=` member of its W3C `tracestate`.

use sampler::TraceState;

/// The weight of one observation: `1 / p` for a span head-sampled with probability `p` and a
/// `th` threshold, 1 where the span carries none (unsampled-at-source, rate-limited, Zipkin).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct AdjustedCount(f64);

impl AdjustedCount {
    /// A span that stands for itself.
    pub const ONE: Self = Self(1.0);

    /// The adjusted count written in a span's `tracestate` (`ot=th:...`); 1 when the list,
    /// the `ot` member or `th` is absent or invalid.
    pub fn from_trace_state(trace_state: &str) -> Self {
        if !trace_state.contains("th:") {
            // Fast path: most spans carry no threshold, parsing allocates.
            return Self::ONE;
        }
        TraceState::parse([trace_state])
            .threshold()
            .map_or(Self::ONE, |t| Self::new(t.adjusted_count()))
    }

    /// A weight from a known adjusted count; anything not finite or below zero becomes 1.
    pub fn new(count: f64) -> Self {
        if count.is_finite() && count >= 0.0 {
            Self(count)
        } else {
            Self::ONE
        }
    }

    /// The weight as a number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for AdjustedCount {
    fn default() -> Self {
        Self::ONE
    }
}

/// Turns a stream of fractional weights into whole histogram counts whose running total
/// never drifts more than one from the exact sum (a fractional accumulator, one per series).
///
/// Each observation records `floor(carry + weight)` and keeps the remainder. The histogram's
/// count therefore tracks the exact weighted count within 1, deterministically; which
/// observation receives a rounded-up unit is systematic sampling over arrival order, which is
/// unbiased for the latency distribution as long as latency is not periodic in arrival order.
/// Stochastic rounding would need a random number per span and give the same expectation with
/// more variance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Carry(f64);

impl Carry {
    /// The whole count to record for an observation of `weight`.
    pub(crate) fn take(&mut self, weight: AdjustedCount) -> u64 {
        let total = self.0 + weight.get();
        // `total` is finite and >= 0, so truncation is the floor (and `as` saturates).
        let whole = total as u64;
        self.0 = total - whole as f64;
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_th_from_trace_state() {
        let p10 = AdjustedCount::from_trace_state("ot=th:e6666666666666,vendor=x");
        assert!((p10.get() - 10.0).abs() < 1e-9);
        assert_eq!(AdjustedCount::from_trace_state("ot=th:8").get(), 2.0);
        assert_eq!(AdjustedCount::from_trace_state("ot=th:0").get(), 1.0);
        assert_eq!(AdjustedCount::from_trace_state(""), AdjustedCount::ONE);
        assert_eq!(
            AdjustedCount::from_trace_state("ot=rv:1234"),
            AdjustedCount::ONE
        );
        assert_eq!(
            AdjustedCount::from_trace_state("ot=th:zz"),
            AdjustedCount::ONE
        );
        assert_eq!(AdjustedCount::new(f64::NAN), AdjustedCount::ONE);
    }

    #[test]
    fn carry_keeps_the_total_within_one() {
        let mut carry = Carry::default();
        let weight = AdjustedCount::new(1.0 / 0.3);
        let mut recorded = 0u64;
        for n in 1..=1000u32 {
            recorded += carry.take(weight);
            let exact = f64::from(n) / 0.3;
            assert!(
                (exact - recorded as f64).abs() < 1.0,
                "{n}: {recorded} vs {exact}"
            );
        }
    }
}
