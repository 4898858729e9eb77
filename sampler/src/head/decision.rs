//! The outcome of a head decision and the names Jaeger gives to the samplers behind it.

use crate::{SamplingState, Threshold};

/// The sampler family that made a root decision, as Jaeger names it in `sampler.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplerKind {
    /// Consistent probability sampling (`sampler.param` = the probability).
    Probabilistic,
    /// Token bucket (`sampler.param` = traces per second).
    RateLimiting,
    /// Always or never (`sampler.param` = 1 or 0).
    Const,
    /// Jaeger's per-operation lower bound kept a trace the probability would have dropped
    /// (`sampler.param` = the probability).
    LowerBound,
    /// Forced by a trusted `x-envoy-force-trace` or traced `x-request-id` (`sampler.param` = 1).
    Forced,
}

impl SamplerKind {
    /// The `sampler.type` tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            SamplerKind::Probabilistic => "probabilistic",
            SamplerKind::RateLimiting => "ratelimiting",
            SamplerKind::Const => "const",
            SamplerKind::LowerBound => "lowerbound",
            SamplerKind::Forced => "forced",
        }
    }
}

/// The outcome of a head decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadDecision {
    /// The state to propagate and to record by.
    pub sampling: SamplingState,
    /// The threshold to carry in `ot=th` (None: erase it, the adjusted count is unknown).
    pub threshold: Option<Threshold>,
    /// Set when this hop made the decision itself: which sampler, with which parameter.
    pub root: Option<(SamplerKind, f64)>,
}

impl HeadDecision {
    /// How many requests one recorded span stands for (1 when unknown).
    pub fn adjusted_count(&self) -> f64 {
        self.threshold.map_or(1.0, Threshold::adjusted_count)
    }

    /// A decision made here by `kind` with parameter `param`.
    pub(crate) fn root(
        sampled: bool,
        threshold: Option<Threshold>,
        kind: SamplerKind,
        param: f64,
    ) -> Self {
        Self {
            sampling: if sampled {
                SamplingState::Sampled
            } else {
                SamplingState::NotSampled
            },
            threshold: threshold.filter(|_| sampled),
            root: Some((kind, param)),
        }
    }
}
