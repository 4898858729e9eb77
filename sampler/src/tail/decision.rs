//! The outcome of a tail decision: keep or drop, which policy decided (for the
//! `sampling.policy` attribute and the per-policy counters), and the `th` the kept spans carry
//! so their adjusted count stays right.

use std::sync::Arc;

use crate::Threshold;

/// How keeping a trace changes its adjusted count, a property of the policy that kept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdChange {
    /// The policy keeps every trace with the property it tests (`status_code`, `latency`,
    /// attributes, ...): the trace keeps the `th` it arrived with.
    Unchanged,
    /// A consistent probabilistic policy kept the trace: its `th` becomes the larger of the
    /// one it arrived with and this one (raised, never lowered).
    Raise(Threshold),
    /// The policy keeps no fixed fraction (rate and byte limits, `composite`, `not` of a
    /// probabilistic policy): the adjusted count is unknown and `th` must be erased.
    Unknown,
}

impl ThresholdChange {
    /// The change when two policies must both keep the trace (`and`): unknown wins, two
    /// probabilistic policies compose to the higher threshold.
    pub(crate) fn and(self, other: Self) -> Self {
        use ThresholdChange::{Raise, Unchanged, Unknown};
        match (self, other) {
            (Unknown, _) | (_, Unknown) => Unknown,
            (Raise(a), Raise(b)) => Raise(a.max(b)),
            (Raise(t), Unchanged) | (Unchanged, Raise(t)) => Raise(t),
            (Unchanged, Unchanged) => Unchanged,
        }
    }

    /// The `th` a span carrying `current` gets when its trace is kept with this change.
    pub fn apply(self, current: Option<Threshold>) -> Option<Threshold> {
        match self {
            ThresholdChange::Unchanged => current,
            ThresholdChange::Raise(t) => Some(current.map_or(t, |c| c.max(t))),
            ThresholdChange::Unknown => None,
        }
    }
}

/// What the tail sampler decided about one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TailDecision {
    /// Whether the trace is kept.
    pub keep: bool,
    /// The policy that decided: the first that sampled a kept trace (the `sampling.policy`
    /// attribute), or the `drop` policy or inverted match that vetoed a dropped one. `None`
    /// when no policy matched, or when the set has no policies (everything is kept).
    pub policy: Option<Arc<str>>,
    /// For a trace kept by a `composite` policy, the sub-policy that claimed it (the
    /// OpenTelemetry Collector's `tailsampling.composite_policy`).
    pub composite_policy: Option<Arc<str>>,
    /// The `th` the kept trace carries: the highest `th` its spans arrived with, raised to the
    /// deciding probabilistic policy's threshold; `None` when the adjusted count is unknown
    /// (rate-limited keeps), when no span carried one, or when the trace is dropped.
    pub threshold: Option<Threshold>,
    /// How the decision changes each span's own `th` (see [`TailDecision::span_threshold`]).
    pub change: ThresholdChange,
}

impl TailDecision {
    /// A kept trace: `arrived` is the highest `th` its spans carried.
    pub(crate) fn kept(
        policy: Option<Arc<str>>,
        composite_policy: Option<Arc<str>>,
        change: ThresholdChange,
        arrived: Option<Threshold>,
    ) -> Self {
        Self {
            keep: true,
            policy,
            composite_policy,
            threshold: change.apply(arrived),
            change,
        }
    }

    /// A dropped trace, with the policy that dropped it if one did.
    pub(crate) fn dropped(policy: Option<Arc<str>>) -> Self {
        Self {
            keep: false,
            policy,
            composite_policy: None,
            threshold: None,
            change: ThresholdChange::Unknown,
        }
    }

    /// The `th` one span of a kept trace should carry, given the `th` it arrived with; spans
    /// of one trace may differ when hops sampled at different rates.
    pub fn span_threshold(&self, arrived: Option<Threshold>) -> Option<Threshold> {
        self.change.apply(arrived)
    }

    /// How many traces this kept trace stands for, when known.
    pub fn adjusted_count(&self) -> Option<f64> {
        match (self.keep, self.change, self.threshold) {
            (false, _, _) | (true, ThresholdChange::Unknown, _) => None,
            (true, _, t) => Some(t.map_or(1.0, Threshold::adjusted_count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(p: f64) -> Threshold {
        Threshold::from_probability(p).unwrap()
    }

    #[test]
    fn raise_never_lowers() {
        let change = ThresholdChange::Raise(th(0.5));
        assert_eq!(change.apply(None), Some(th(0.5)));
        assert_eq!(change.apply(Some(th(0.25))), Some(th(0.25)));
        assert_eq!(change.apply(Some(th(1.0))), Some(th(0.5)));
        assert_eq!(
            ThresholdChange::Unchanged.apply(Some(th(0.1))),
            Some(th(0.1))
        );
        assert_eq!(ThresholdChange::Unknown.apply(Some(th(0.1))), None);
    }

    #[test]
    fn and_composes() {
        use ThresholdChange::{Raise, Unchanged, Unknown};
        assert_eq!(Raise(th(0.5)).and(Raise(th(0.1))), Raise(th(0.1)));
        assert_eq!(Unchanged.and(Raise(th(0.1))), Raise(th(0.1)));
        assert_eq!(Raise(th(0.1)).and(Unknown), Unknown);
        assert_eq!(Unchanged.and(Unchanged), Unchanged);
    }

    #[test]
    fn adjusted_counts() {
        let kept = TailDecision::kept(None, None, ThresholdChange::Raise(th(0.25)), None);
        assert_eq!(kept.adjusted_count(), Some(4.0));
        let plain = TailDecision::kept(None, None, ThresholdChange::Unchanged, None);
        assert_eq!(plain.adjusted_count(), Some(1.0));
        let limited = TailDecision::kept(None, None, ThresholdChange::Unknown, Some(th(0.5)));
        assert_eq!((limited.threshold, limited.adjusted_count()), (None, None));
        assert_eq!(TailDecision::dropped(None).adjusted_count(), None);
    }
}
