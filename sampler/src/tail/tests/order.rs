//! How the policies of a set combine: `drop` first, then the first policy that samples, the
//! inverted-match rules, and which policy is named.

use super::support::{TestTrace, at_ms, decide, set_yaml, span, spans, trace};
use crate::tail::AttrValue::Str;
use crate::tail::{TailPolicySet, ThresholdChange};

const ERRORS: &str = "{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}";
const SLOW: &str = "{name: slow, type: latency, latency: {threshold_ms: 1000}}";
const ALL: &str = "{name: everything, type: always_sample}";
const DROP_PROBES: &str = "{name: drop-probes, type: drop, drop: {drop_sub_policy: [
    {name: probe, type: string_attribute, string_attribute: {key: route, values: [/health]}}]}}";
const NOT_INTERNAL: &str = "{name: not-internal, type: string_attribute,
    string_attribute: {key: tier, values: [internal], invert_match: true}}";

fn set(policies: &[&str]) -> TailPolicySet {
    set_yaml(&format!("policies: [{}]", policies.join(", ")))
}

/// (keep, policy) of each trace.
fn outcomes(set: &TailPolicySet, traces: &[TestTrace]) -> Vec<(bool, Option<String>)> {
    traces
        .iter()
        .map(|t| {
            let d = decide(set, t);
            (d.keep, d.policy.map(|p| p.to_string()))
        })
        .collect()
}

fn kept_by(name: &str) -> (bool, Option<String>) {
    (true, Some(name.to_owned()))
}

fn dropped_by(name: &str) -> (bool, Option<String>) {
    (false, Some(name.to_owned()))
}

fn probe() -> TestTrace {
    trace(vec![span().attr("route", Str("/health")).error()])
}

#[test]
fn first_policy_that_samples_is_named() {
    let set = set(&[ERRORS, SLOW, ALL]);
    let traces = [
        trace(vec![span().times(0, 2000).error()]),
        trace(vec![span().times(0, 2000)]),
        trace(spans(1)),
    ];
    let want = vec![kept_by("errors"), kept_by("slow"), kept_by("everything")];
    assert_eq!(outcomes(&set, &traces), want);
}

#[test]
fn drop_beats_every_keep_wherever_it_is_listed() {
    for policies in [[DROP_PROBES, ERRORS, ALL], [ERRORS, ALL, DROP_PROBES]] {
        let set = set(&policies);
        let traces = [probe(), trace(vec![span().error()])];
        let want = vec![dropped_by("drop-probes"), kept_by("errors")];
        assert_eq!(outcomes(&set, &traces), want, "{policies:?}");
    }
}

#[test]
fn nothing_matching_drops_without_a_name() {
    let set = set(&[ERRORS, SLOW]);
    assert_eq!(outcomes(&set, &[trace(spans(2))]), vec![(false, None)]);
}

#[test]
fn no_policies_keep_everything_with_their_threshold() {
    let set = set_yaml("decision_wait: 10s");
    let d = decide(&set, &trace(vec![span().state("ot=th:c")]));
    assert!(d.keep);
    assert_eq!(d.policy, None);
    assert_eq!(d.threshold.map(|t| t.to_string()).as_deref(), Some("c"));
    assert_eq!(d.change, ThresholdChange::Unchanged);
    assert!(TailPolicySet::keep_all().decide(&probe(), at_ms(0)).keep);
}

#[test]
fn only_drop_policies_keep_nothing() {
    let set = set(&[DROP_PROBES]);
    assert_eq!(
        outcomes(&set, &[probe(), trace(spans(1))]),
        vec![dropped_by("drop-probes"), (false, None)]
    );
}

#[test]
fn an_inverted_exclusion_vetoes_other_keeps() {
    let internal = trace(vec![span().res("tier", Str("internal")).error()]);
    let public = trace(vec![span().res("tier", Str("public")).error()]);
    let set = set(&[ERRORS, NOT_INTERNAL]);
    assert_eq!(
        outcomes(&set, &[internal.clone(), public]),
        vec![dropped_by("not-internal"), kept_by("errors")]
    );
    // Unless evaluation stops at the first policy that samples.
    let first = set_yaml(&format!(
        "sample_on_first_match: true\npolicies: [{ERRORS}, {NOT_INTERNAL}]"
    ));
    assert_eq!(outcomes(&first, &[internal]), vec![kept_by("errors")]);
}

#[test]
fn an_inverted_keep_needs_no_plain_refusal() {
    let public = trace(vec![span().res("tier", Str("public"))]);
    assert_eq!(
        outcomes(&set(&[NOT_INTERNAL]), std::slice::from_ref(&public)),
        vec![kept_by("not-internal")]
    );
    // `errors` says NotSampled, which outweighs an inverted keep.
    assert_eq!(
        outcomes(&set(&[NOT_INTERNAL, ERRORS]), &[public]),
        vec![(false, None)]
    );
}

#[test]
fn every_policy_is_charged_unless_sampling_on_first_match() {
    const LIMIT: &str = "{name: limit, type: rate_limiting, rate_limiting: {spans_per_second: 1, burst_capacity: 1}}";
    let error = trace(vec![span().error()]);
    let plain = trace(spans(1));
    // As in the Collector, the rate limit also sees the error trace `errors` kept.
    let all = set(&[ERRORS, LIMIT]);
    assert_eq!(
        outcomes(&all, &[error.clone(), plain.clone()]),
        vec![kept_by("errors"), (false, None)]
    );
    let first = set_yaml(&format!(
        "sample_on_first_match: true\npolicies: [{ERRORS}, {LIMIT}]"
    ));
    assert_eq!(
        outcomes(&first, &[error, plain]),
        vec![kept_by("errors"), kept_by("limit")]
    );
}

#[test]
fn dropped_traces_charge_no_rate_limit() {
    const LIMIT: &str = "{name: limit, type: rate_limiting, rate_limiting: {spans_per_second: 1, burst_capacity: 1}}";
    let set = set(&[LIMIT, DROP_PROBES]);
    assert_eq!(
        outcomes(&set, &[probe(), trace(spans(1)), trace(spans(1))]),
        vec![dropped_by("drop-probes"), kept_by("limit"), (false, None)]
    );
}

#[test]
fn policy_names_drops_first() {
    let set = set(&[ERRORS, DROP_PROBES, ALL]);
    let names: Vec<&str> = set.policy_names().collect();
    assert_eq!(names, ["drop-probes", "errors", "everything"]);
}

#[test]
fn the_set_is_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<TailPolicySet>();
}
