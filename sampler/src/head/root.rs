//! The closed set of samplers that decide a trace nobody upstream has decided.

use super::{
    EnvoyRequestId, GuaranteedThroughput, HeadDecision, PerOperation, Probabilistic, RateLimited,
    SamplerKind, SamplingInput,
};
use crate::Threshold;

/// A sampler for root (or deferred) decisions.
#[derive(Debug, Clone, PartialEq)]
pub enum RootSampler {
    /// Always (`true`) or never (`false`).
    Const(bool),
    /// Consistent probability sampling.
    Probabilistic(Probabilistic),
    /// At most so many traces per second.
    RateLimited(RateLimited),
    /// Probability with a lower bound in traces per second (Jaeger per-operation).
    GuaranteedThroughput(GuaranteedThroughput),
    /// Envoy's `x-request-id` rule.
    EnvoyRequestId(EnvoyRequestId),
    /// Route rules, first match wins.
    PerOperation(PerOperation),
}

impl RootSampler {
    /// Decides a root (or deferred) trace.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        match self {
            RootSampler::Const(keep) => {
                let param = if *keep { 1.0 } else { 0.0 };
                HeadDecision::root(*keep, Some(Threshold::ALWAYS), SamplerKind::Const, param)
            }
            RootSampler::Probabilistic(s) => s.decide(input),
            RootSampler::RateLimited(s) => s.decide(input),
            RootSampler::GuaranteedThroughput(s) => s.decide(input),
            RootSampler::EnvoyRequestId(s) => s.decide(input),
            RootSampler::PerOperation(s) => s.decide(input),
        }
    }
}
