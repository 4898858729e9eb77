//! The head sampler a sidecar runs: forced traces first, then the upstream decision, then a
//! root sampler for everything nobody has decided yet.

use super::{HeadDecision, Probabilistic, RootSampler, SamplerKind, SamplingInput};
use crate::SamplingState;

/// Which force signals a sampler honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Force {
    /// Honour an upstream debug flag (B3 `X-B3-Flags: 1`, `b3: d`, Jaeger flag 2).
    pub debug: bool,
    /// Honour `x-envoy-force-trace` (and only ever from a trusted caller).
    pub envoy_force_trace: bool,
}

impl Default for Force {
    /// Both honoured, as in Envoy.
    fn default() -> Self {
        Self {
            debug: true,
            envoy_force_trace: true,
        }
    }
}

/// A parent-based head sampler: a forced trace is kept; an upstream decision is honoured; a
/// root or a deferred decision is made by the root sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadSampler {
    root: RootSampler,
    force: Force,
}

impl HeadSampler {
    /// Parent-based around a probabilistic root sampler.
    pub fn parent_based(root: Probabilistic) -> Self {
        Self::new(RootSampler::Probabilistic(root))
    }

    /// Parent-based around any root sampler, honouring the default [`Force`] signals.
    pub fn new(root: RootSampler) -> Self {
        Self {
            root,
            force: Force::default(),
        }
    }

    /// With other force rules.
    pub fn with_force(mut self, force: Force) -> Self {
        self.force = force;
        self
    }

    /// The root sampler.
    pub fn root(&self) -> &RootSampler {
        &self.root
    }

    /// The root sampler's probability, when it is a plain probabilistic sampler.
    pub fn probability(&self) -> Option<f64> {
        match &self.root {
            RootSampler::Probabilistic(p) => Some(p.probability()),
            _ => None,
        }
    }

    /// Decides for one request.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        let upstream = input.upstream();
        let request = &input.request;
        if self.force.envoy_force_trace && request.trusted && request.force_trace {
            return HeadDecision {
                sampling: SamplingState::Debug,
                threshold: self.parent_threshold(input),
                root: Some((SamplerKind::Forced, 1.0)),
            };
        }
        match upstream {
            SamplingState::Deferred => self.root.decide(input),
            SamplingState::Debug if !self.force.debug => self.root.decide(input),
            SamplingState::NotSampled => HeadDecision {
                sampling: SamplingState::NotSampled,
                threshold: None,
                root: None,
            },
            state @ (SamplingState::Sampled | SamplingState::Debug) => HeadDecision {
                sampling: state,
                threshold: self.parent_threshold(input),
                root: None,
            },
        }
    }

    /// The parent's `th`, kept only while it is consistent with the trace's randomness.
    fn parent_threshold(&self, input: &SamplingInput<'_>) -> Option<crate::Threshold> {
        input
            .parent
            .filter(|p| p.sampling.is_sampled())
            .and_then(|p| p.trace_state.threshold())
            .filter(|t| t.keeps(input.randomness()))
    }
}
