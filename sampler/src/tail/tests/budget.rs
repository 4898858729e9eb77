//! `composite`: the first sub-policy in `policy_order` that samples claims a trace, which is
//! kept within that sub-policy's share of the per-second budget plus what is passed on.

use super::support::{TestTrace, at_ms, set_yaml, span, spans, trace};
use crate::tail::TailPolicySet;

/// A composite of `errors` (50%), `slow` (25%) and `rest` (no allocation), 10 spans/s.
fn composite(order: &str) -> TailPolicySet {
    set_yaml(&format!(
        "policies:
  - name: budget
    type: composite
    composite:
      max_total_spans_per_second: 10
      policy_order: {order}
      composite_sub_policy:
        - {{name: errors, type: status_code, status_code: {{status_codes: [ERROR]}}}}
        - {{name: slow, type: latency, latency: {{threshold_ms: 1000}}}}
        - {{name: rest, type: always_sample}}
      rate_allocation:
        - {{policy: errors, percent: 50}}
        - {{policy: slow, percent: 25}}"
    ))
}

fn error() -> TestTrace {
    trace(vec![span().error()])
}

fn slow() -> TestTrace {
    trace(vec![span().times(0, 2000)])
}

/// How many of `count` copies of `t` are kept at `ms`.
fn kept(set: &TailPolicySet, t: &TestTrace, ms: u64, count: usize) -> usize {
    (0..count).filter(|_| set.decide(t, at_ms(ms)).keep).count()
}

#[test]
fn each_share_and_the_pool() {
    let set = composite("[errors, slow, rest]");
    // errors: 5 of its own, then the pool (10 - 5 - 2 = 3): 8.
    assert_eq!(kept(&set, &error(), 0, 20), 8);
    // slow: its 2, nothing left in the pool, and `errors` (before it) has spent its share.
    assert_eq!(kept(&set, &slow(), 0, 20), 2);
    assert_eq!(kept(&set, &trace(spans(1)), 0, 20), 0);
    // A new second: everything again.
    assert_eq!(kept(&set, &slow(), 1000, 20), 2 + 3 + 5);
}

#[test]
fn unused_budget_flows_down_the_order_within_the_second() {
    let set = composite("[errors, slow, rest]");
    // `rest` has no share: the pool (3), then slow's unused 2, then errors' unused 5.
    assert_eq!(kept(&set, &trace(spans(1)), 0, 20), 10);
    assert_eq!(kept(&set, &error(), 0, 1), 0);
    // Budget never flows up: after `errors` spends 5 and the pool, `slow` still has its 2.
    let set = composite("[errors, slow, rest]");
    assert_eq!(kept(&set, &error(), 5000, 20), 8);
    assert_eq!(kept(&set, &slow(), 5000, 20), 2);
}

#[test]
fn policy_order_decides_who_claims_and_is_reported() {
    let slow_error = trace(vec![span().times(0, 2000).error()]);
    for (order, claimed) in [("[errors, slow, rest]", "errors"), ("[slow]", "slow")] {
        let d = composite(order).decide(&slow_error, at_ms(0));
        assert!(d.keep, "{order}");
        assert_eq!(d.policy.as_deref(), Some("budget"));
        assert_eq!(d.composite_policy.as_deref(), Some(claimed), "{order}");
        assert_eq!(d.threshold, None);
    }
}

#[test]
fn the_claiming_sub_policy_decides_even_when_over_budget() {
    // Evaluation order: slow, rest, then errors (not in policy_order).
    let set = composite("[slow, rest]");
    // slow: its 2 and the pool's 3.
    assert_eq!(kept(&set, &slow(), 0, 10), 5);
    // `rest` claims error traces before `errors` sees them, and has nothing left to spend:
    // it may not take the share of `errors`, which comes after it.
    assert_eq!(kept(&set, &error(), 0, 10), 0);
}

#[test]
fn a_trace_counts_all_its_spans() {
    let set = composite("[errors]");
    assert!(!set.decide(&trace(vec![span().error(); 11]), at_ms(0)).keep);
    assert!(set.decide(&trace(vec![span().error(); 8]), at_ms(0)).keep);
    assert!(!set.decide(&trace(vec![span().error(); 3]), at_ms(0)).keep);
}

#[test]
fn equal_share_for_an_allocation_without_percent() {
    let set = set_yaml(
        "policies:
  - name: budget
    type: composite
    composite:
      max_total_spans_per_second: 9
      composite_sub_policy:
        - {name: a, type: status_code, status_code: {status_codes: [ERROR]}}
        - {name: b, type: always_sample}
        - {name: c, type: always_sample}
      rate_allocation: [{policy: a, percent: 0}, {policy: b, percent: 0}]",
    );
    // a: 3 of its own, then the pool (9 - 3 - 3 = 3).
    assert_eq!(kept(&set, &error(), 0, 20), 6);
    // b (claims everything else before c): its 3; a has spent all of its share.
    assert_eq!(kept(&set, &trace(spans(1)), 0, 20), 3);
}
