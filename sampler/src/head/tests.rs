use proptest::prelude::*;

use super::*;
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState};

fn trace(low: u64) -> TraceId {
    let mut bytes = [0xaa; 16];
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    TraceId::from_bytes(bytes).unwrap()
}

fn parent(sampling: SamplingState, trace_state: &str) -> SpanContext {
    SpanContext {
        trace_id: trace(0),
        span_id: SpanId::from_bytes([1; 8]).unwrap(),
        sampling,
        random: true,
        trace_state: TraceState::parse([trace_state]),
    }
}

fn sampler(p: f64) -> HeadSampler {
    HeadSampler::parent_based(Probabilistic::new(p).unwrap())
}

#[test]
fn root_decision_follows_r_ge_t() {
    let half = sampler(0.5);
    let keep = half.decide(&SamplingInput::new(trace(1 << 55), None));
    assert_eq!(keep.sampling, SamplingState::Sampled);
    assert_eq!(keep.threshold.map(|t| t.to_string()), Some("8".into()));
    assert_eq!(keep.adjusted_count(), 2.0);
    assert_eq!(keep.root, Some((SamplerKind::Probabilistic, 0.5)));
    let drop = half.decide(&SamplingInput::new(trace((1 << 55) - 1), None));
    assert_eq!(drop.sampling, SamplingState::NotSampled);
    assert_eq!(
        sampler(0.0)
            .decide(&SamplingInput::new(trace(u64::MAX), None))
            .sampling,
        SamplingState::NotSampled
    );
}

#[test]
fn explicit_rv_beats_trace_id_bits() {
    let p = parent(SamplingState::Deferred, "ot=rv:ffffffffffffff");
    let d = sampler(0.01).decide(&SamplingInput::new(trace(0), Some(&p)));
    assert_eq!(d.sampling, SamplingState::Sampled);
}

#[test]
fn parent_decisions_are_honoured() {
    let s = sampler(0.0);
    let sampled = parent(SamplingState::Sampled, "ot=th:8");
    let input = SamplingInput::new(trace(u64::MAX >> 8), Some(&sampled));
    let d = s.decide(&input);
    assert_eq!(d.sampling, SamplingState::Sampled);
    assert_eq!(d.threshold.map(|t| t.to_string()), Some("8".into()));
    assert_eq!(d.root, None);

    // th inconsistent with R (R < T) is erased.
    let d = s.decide(&SamplingInput::new(trace(1), Some(&sampled)));
    assert_eq!((d.sampling, d.threshold), (SamplingState::Sampled, None));

    let not = parent(SamplingState::NotSampled, "");
    assert_eq!(
        sampler(1.0)
            .decide(&SamplingInput::new(trace(5), Some(&not)))
            .sampling,
        SamplingState::NotSampled
    );
    let debug = parent(SamplingState::Debug, "");
    assert_eq!(
        s.decide(&SamplingInput::new(trace(5), Some(&debug)))
            .sampling,
        SamplingState::Debug
    );
}

#[test]
fn invalid_probability_is_rejected() {
    assert!(Probabilistic::new(1.5).is_err());
    assert!(Probabilistic::new(-0.1).is_err());
    assert!(Probabilistic::new(f64::NAN).is_err());
}

proptest! {
    /// Two hops sampling independently at the same p always agree.
    #[test]
    fn independent_hops_agree(low in any::<u64>(), p in 0.0f64..=1.0) {
        let input = SamplingInput::new(trace(low), None);
        prop_assert_eq!(sampler(p).decide(&input).sampling, sampler(p).decide(&input).sampling);
    }

    /// The adjusted counts of kept traces add up to about the number of traces seen.
    #[test]
    fn adjusted_counts_estimate_the_true_count(seed in any::<u64>(), p in 0.05f64..=1.0) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let s = sampler(p);
        let n = 20_000;
        let estimate: f64 = (0..n)
            .map(|_| s.decide(&SamplingInput::new(trace(rng.random()), None)))
            .filter(|d| d.sampling.is_sampled())
            .map(|d| d.adjusted_count())
            .sum();
        // Binomial standard error of the estimate is sqrt(n (1-p)/p); allow 6 of them.
        let tolerance = 6.0 * (n as f64 * (1.0 - p) / p).sqrt() + 1.0;
        prop_assert!((estimate - n as f64).abs() <= tolerance, "estimate {} p {}", estimate, p);
    }
}
