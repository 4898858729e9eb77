//! The consistent probabilistic sampler: keep iff R >= T, T = (1 - p) * 2^56.

use super::{HeadDecision, SamplerKind, SamplingInput};
use crate::{SamplingState, Threshold};

/// Probability `p` in `[0, 1]`, applied with the consistent rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probabilistic {
    probability: f64,
    threshold: Option<Threshold>,
}

/// A probability outside `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("sampling probability must be within 0..=1, got {0}")]
pub struct InvalidProbability(pub f64);

impl Probabilistic {
    /// A sampler keeping a fraction `probability` of traces.
    pub fn new(probability: f64) -> Result<Self, InvalidProbability> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(InvalidProbability(probability));
        }
        Ok(Self {
            probability,
            threshold: Threshold::from_probability(probability),
        })
    }

    /// The configured probability.
    pub fn probability(&self) -> f64 {
        self.probability
    }

    /// Decides a root (or deferred) trace.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        let kept = self.threshold.filter(|t| t.keeps(input.randomness()));
        HeadDecision {
            sampling: if kept.is_some() {
                SamplingState::Sampled
            } else {
                SamplingState::NotSampled
            },
            threshold: kept,
            root: Some((SamplerKind::Probabilistic, self.probability)),
        }
    }
}
