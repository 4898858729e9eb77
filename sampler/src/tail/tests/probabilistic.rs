//! The probabilistic policy's consistency with the SPEC's rule (keep iff `R >= T`), and the
//! `th` every kind of keep leaves on the trace.

use proptest::prelude::*;

use super::support::{decide, one, set_yaml, span, spans, trace, trace_r};
use crate::tail::AttrValue::Str;
use crate::tail::{TailPolicySet, ThresholdChange, TraceView};
use crate::{Randomness, Threshold, TraceState};

const HALF: u64 = 1 << 55;
const MAX: u64 = 1 << 56;

fn prob(percent: f64) -> TailPolicySet {
    one(&format!(
        "type: probabilistic, probabilistic: {{sampling_percentage: {percent}, hash_salt: ignored}}"
    ))
}

fn th(text: &str) -> Threshold {
    Threshold::parse_th(text).unwrap()
}

#[test]
#[rustfmt::skip]
fn keeps_iff_randomness_reaches_the_threshold() {
    // (percentage, randomness, kept)
    let cases: &[(f64, u64, bool)] = &[
        (50.0, HALF, true),
        (50.0, HALF - 1, false),
        (25.0, 3 * (MAX / 4), true),
        (25.0, 3 * (MAX / 4) - 1, false),
        (0.0, MAX - 1, false),
        (100.0, 0, true),
        (250.0, 0, true),
    ];
    for &(percent, r, want) in cases {
        let d = decide(&prob(percent), &trace_r(r, spans(1)));
        assert_eq!(d.keep, want, "{percent}% r={r:#x}");
    }
}

#[test]
fn rv_in_tracestate_overrides_the_trace_id() {
    let set = prob(50.0);
    // The trace id says keep (R = 2^56 - 1); rv says R = 1.
    let low = trace_r(MAX - 1, vec![span(), span().state("ot=rv:00000000000001")]);
    assert!(!decide(&set, &low).keep);
    let high = trace_r(0, vec![span().state("ot=rv:80000000000000")]);
    assert!(decide(&set, &high).keep);
}

#[test]
fn threshold_is_raised_never_lowered() {
    let set = prob(25.0);
    // Kept with no th: gets the policy's.
    let d = decide(&set, &trace_r(MAX - 1, spans(2)));
    assert_eq!((d.keep, d.threshold), (true, Some(th("c"))));
    assert_eq!(d.adjusted_count(), Some(4.0));
    // Head-sampled at 50% (th:8): raised to 25%.
    let d = decide(&set, &trace_r(MAX - 1, vec![span().state("ot=th:8")]));
    assert_eq!(d.threshold, Some(th("c")));
    // Head-sampled at 12.5% (th:e): already rarer, kept as it is.
    let d = decide(&set, &trace_r(MAX - 1, vec![span().state("ot=th:e")]));
    assert_eq!(d.threshold, Some(th("e")));
    // Per span: each span's own th is raised, none lowered.
    assert_eq!(d.span_threshold(None), Some(th("c")));
    assert_eq!(d.span_threshold(Some(th("f"))), Some(th("f")));
}

#[test]
fn head_sampled_traces_pass_a_higher_tail_probability() {
    // Head sampled at 10%: every trace it kept has R >= T(0.1), so a 20% tail keeps it.
    let head = Threshold::from_probability(0.1).unwrap();
    let state = TraceState::default().with_threshold(Some(head)).to_string();
    let set = prob(20.0);
    for r in [head.value(), head.value() + 1, MAX - 1] {
        let d = decide(&set, &trace_r(r, vec![span().state(&state)]));
        assert!(d.keep, "r={r:#x}");
        assert_eq!(d.threshold, Some(head));
    }
}

#[test]
#[rustfmt::skip]
fn each_kind_of_keep_leaves_the_right_threshold() {
    // An error trace head-sampled at 50% (th:8), with randomness `r`.
    let error = |r| trace_r(r, vec![span().error().state("ot=th:8"), span().res("svc", Str("a"))]);
    // (policy, randomness, change, th written)
    let cases: &[(&str, u64, ThresholdChange, Option<&str>)] = &[
        ("type: status_code, status_code: {status_codes: [ERROR]}",
            MAX - 1, ThresholdChange::Unchanged, Some("8")),
        ("type: rate_limiting, rate_limiting: {spans_per_second: 100}",
            MAX - 1, ThresholdChange::Unknown, None),
        ("type: and, and: {and_sub_policy: [{type: status_code, status_code: {status_codes: [ERROR]}},
            {type: probabilistic, probabilistic: {sampling_percentage: 25}}]}",
            MAX - 1, ThresholdChange::Raise(th("c")), Some("c")),
        ("type: and, and: {and_sub_policy: [{type: probabilistic, probabilistic: {sampling_percentage: 50}},
            {type: rate_limiting, rate_limiting: {spans_per_second: 100}}]}",
            MAX - 1, ThresholdChange::Unknown, None),
        ("type: not, not: {not_sub_policy: {type: probabilistic, probabilistic: {sampling_percentage: 1}}}",
            HALF, ThresholdChange::Unknown, None),
        ("type: not, not: {not_sub_policy: {type: span_count, span_count: {min_spans: 5}}}",
            MAX - 1, ThresholdChange::Unchanged, Some("8")),
        ("type: composite, composite: {max_total_spans_per_second: 100, composite_sub_policy: [
            {name: all, type: always_sample}]}",
            MAX - 1, ThresholdChange::Unknown, None),
    ];
    for &(policy, r, change, want) in cases {
        let d = decide(&one(policy), &error(r));
        assert!(d.keep, "{policy}");
        assert_eq!(d.change, change, "{policy}");
        assert_eq!(d.threshold, want.map(th), "{policy}");
    }
}

proptest! {
    /// A trace the tail keeps at p is kept at every p' > p, with a th no higher.
    #[test]
    fn kept_at_p_is_kept_at_higher_p(p in 0.001f64..100.0, q in 0.001f64..100.0, r in 0u64..MAX) {
        let (lo, hi) = if p < q { (p, q) } else { (q, p) };
        let t = trace_r(r, spans(1));
        let at_lo = decide(&prob(lo), &t);
        if at_lo.keep {
            let at_hi = decide(&prob(hi), &t);
            prop_assert!(at_hi.keep);
            prop_assert!(at_hi.threshold <= at_lo.threshold);
        }
    }

    /// A kept trace's th is at least the one it arrived with and the policy's.
    #[test]
    fn kept_threshold_is_the_max(p in 0.001f64..100.0, head in 1u64..MAX, r in 0u64..MAX) {
        let head = Threshold::parse_th(&format!("{head:014x}")).unwrap();
        let state = TraceState::default().with_threshold(Some(head)).to_string();
        let t = trace_r(r, vec![span().state(state)]);
        let d = decide(&prob(p), &t);
        let policy = Threshold::from_probability(p / 100.0).unwrap();
        prop_assert_eq!(d.keep, policy.keeps(Randomness::from_trace_id(t.trace_id())));
        if d.keep {
            prop_assert_eq!(d.threshold, Some(head.max(policy)));
        }
    }
}

#[test]
fn probabilistic_and_attribute_set_in_yaml() {
    let set = set_yaml(
        "policies:
  - name: reviews-10pct
    type: and
    and:
      and_sub_policy:
        - {name: reviews, type: string_attribute, string_attribute: {key: svc, values: [reviews]}}
        - {name: ten, type: probabilistic, probabilistic: {sampling_percentage: 10}}",
    );
    let t = |r| trace_r(r, vec![span().res("svc", Str("reviews"))]);
    let ten = Threshold::from_probability(0.1).unwrap();
    assert!(!decide(&set, &t(ten.value() - 1)).keep);
    let d = decide(&set, &t(ten.value()));
    assert_eq!((d.keep, d.threshold), (true, Some(ten)));
    assert_eq!(d.policy.as_deref(), Some("reviews-10pct"));
    assert!(!decide(&set, &trace(spans(1))).keep);
}
