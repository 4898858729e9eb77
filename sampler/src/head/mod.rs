//! Head samplers: the decision a sidecar makes when a request enters the mesh, before anyone
//! knows how it ends. Decisions are pure functions of their input.

mod probabilistic;

pub use probabilistic::Probabilistic;

use crate::{Randomness, SamplingState, SpanContext, Threshold, TraceId, TraceState};

/// What a head sampler sees.
#[derive(Debug, Clone, Copy)]
pub struct SamplingInput<'a> {
    /// The trace being decided (the parent's, or a fresh one for a root).
    pub trace_id: TraceId,
    /// The caller's context, if one was propagated.
    pub parent: Option<&'a SpanContext>,
}

impl SamplingInput<'_> {
    /// The `tracestate` travelling with the trace (empty for a root).
    fn trace_state(&self) -> Option<&TraceState> {
        self.parent.map(|p| &p.trace_state)
    }

    /// R: explicit `ot=rv` when present, else the trace id's low 56 bits.
    pub fn randomness(&self) -> Randomness {
        self.trace_state()
            .and_then(TraceState::randomness)
            .unwrap_or_else(|| Randomness::from_trace_id(self.trace_id))
    }
}

/// The sampler family that made a root decision, as Jaeger names it in `sampler.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplerKind {
    /// Consistent probability sampling.
    Probabilistic,
}

impl SamplerKind {
    /// The `sampler.type` tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            SamplerKind::Probabilistic => "probabilistic",
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
}

/// A parent-based head sampler: an upstream decision is honoured; a root or a deferred
/// decision is made by the root sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadSampler {
    root: Probabilistic,
}

impl HeadSampler {
    /// Parent-based around a probabilistic root sampler.
    pub fn parent_based(root: Probabilistic) -> Self {
        Self { root }
    }

    /// The root sampler's probability.
    pub fn probability(&self) -> f64 {
        self.root.probability()
    }

    /// Decides for one request.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        let Some(parent) = input.parent else {
            return self.root.decide(input);
        };
        match parent.sampling {
            SamplingState::Deferred => self.root.decide(input),
            SamplingState::NotSampled => HeadDecision {
                sampling: SamplingState::NotSampled,
                threshold: None,
                root: None,
            },
            state @ (SamplingState::Sampled | SamplingState::Debug) => {
                // Keep the parent's th only when it is consistent with the trace's randomness.
                let threshold = parent
                    .trace_state
                    .threshold()
                    .filter(|t| t.keeps(input.randomness()));
                HeadDecision {
                    sampling: state,
                    threshold,
                    root: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
