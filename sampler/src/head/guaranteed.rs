//! Jaeger's per-operation sampler ("guaranteed throughput"): a probability, plus a lower
//! bound of traces per second so that rare operations are still seen.

use std::time::Duration;

use super::{HeadDecision, InvalidRate, Probabilistic, RateLimited, SamplerKind, SamplingInput};

/// Keeps what `probabilistic` keeps; of the rest, as many as `lower_bound` allows. As in
/// Jaeger's clients, a probabilistic keep also takes a lower-bound token.
#[derive(Debug, Clone, PartialEq)]
pub struct GuaranteedThroughput {
    probabilistic: Probabilistic,
    lower_bound: RateLimited,
}

impl GuaranteedThroughput {
    /// `probabilistic` with at least `lower_bound` traces per second.
    pub fn new(probabilistic: Probabilistic, lower_bound: f64) -> Result<Self, InvalidRate> {
        Ok(Self {
            probabilistic,
            lower_bound: RateLimited::per_second(lower_bound)?,
        })
    }

    /// Decides a root (or deferred) trace.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        let decision = self.probabilistic.decide(input);
        let now: Duration = input.now;
        if decision.sampling.is_sampled() {
            self.lower_bound.try_acquire(now);
            return decision;
        }
        if self.lower_bound.try_acquire(now) {
            let p = self.probabilistic.probability();
            return HeadDecision::root(true, None, SamplerKind::LowerBound, p);
        }
        decision
    }
}
