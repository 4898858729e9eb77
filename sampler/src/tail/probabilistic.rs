//! `probabilistic`: keeps `sampling_percentage` percent of traces.
//!
//! The OpenTelemetry Collector (`internal/sampling/probabilistic.go`) hashes the salted trace
//! id with FNV-1a and compares the hash with a threshold. We do not: we apply the SPEC's one
//! consistent rule instead, keep iff `R >= T` with `R` the trace's randomness (`ot=rv`, else
//! the trace id's low 56 bits) and `T = (1 - p) * 2^56`. So a trace this policy keeps at `p`
//! is kept at every `p' > p`, the head sampler and the tail agree on the traces they share,
//! and a kept trace's `th` can be raised to `T` to carry its adjusted count. `hash_salt` is
//! accepted and ignored.

use super::facts::TraceFacts;
use super::policy::Verdict;
use super::view::TraceView;
use crate::Threshold;

/// Keep iff the trace's randomness reaches the threshold (`None`: keep nothing, p = 0).
#[derive(Debug)]
pub(crate) struct Probabilistic {
    pub(crate) threshold: Option<Threshold>,
}

impl Probabilistic {
    /// For a percentage in `[0, 100]`; above 100 keeps everything.
    pub(crate) fn from_percentage(percentage: f64) -> Self {
        Self {
            threshold: Threshold::from_probability(percentage / 100.0),
        }
    }

    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        if self.threshold.is_some_and(|t| t.keeps(facts.randomness())) {
            Verdict::Sampled
        } else {
            Verdict::NotSampled
        }
    }
}
