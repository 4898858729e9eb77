//! Each single-property policy and the combinators, table-driven: one policy named `p`, a
//! few small traces, whether each is kept.

use super::support::{TestTrace, keeps, one, span, spans, trace};
use crate::tail::AttrValue::{Bool, Double, Int, Other, Str};

/// Asserts the verdict of `policy` on every case (label, trace, kept).
fn check(policy: &str, cases: Vec<(&str, TestTrace, bool)>) {
    let set = one(policy);
    for (label, trace, want) in cases {
        assert_eq!(keeps(&set, &trace), want, "{policy} / {label}");
    }
}

#[test]
fn always_sample() {
    check(
        "type: always_sample",
        vec![
            ("one span", trace(spans(1)), true),
            ("no spans", trace(vec![]), true),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn latency_lower_bound_is_inclusive_alone() {
    check("type: latency, latency: {threshold_ms: 100}", vec![
        ("99 ms", trace(vec![span().times(0, 99)]), false),
        ("100 ms", trace(vec![span().times(0, 100)]), true),
        ("earliest start to latest end", trace(vec![span().times(10, 60), span().times(50, 110)]), true),
        ("no spans", trace(vec![]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn latency_with_upper_bound() {
    check("type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 500}", vec![
        ("100 ms: lower bound exclusive", trace(vec![span().times(0, 100)]), false),
        ("101 ms", trace(vec![span().times(0, 101)]), true),
        ("500 ms: upper bound inclusive", trace(vec![span().times(0, 500)]), true),
        ("501 ms", trace(vec![span().times(0, 501)]), false),
        // A partial duration in range does not count: the whole trace is 600 ms.
        ("whole trace", trace(vec![span().times(0, 200), span().times(100, 600)]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn numeric_attribute() {
    check("type: numeric_attribute, numeric_attribute: {key: code, min_value: 500, max_value: 599}", vec![
        ("span int in range", trace(vec![span(), span().attr("code", Int(503))]), true),
        ("span int below", trace(vec![span().attr("code", Int(404))]), false),
        ("bounds inclusive", trace(vec![span().attr("code", Int(599))]), true),
        ("resource int", trace(vec![span().res("code", Int(500))]), true),
        ("double", trace(vec![span().attr("code", Double(502.5))]), true),
        ("string is not a number", trace(vec![span().attr("code", Str("503"))]), false),
        ("absent", trace(spans(2)), false),
    ]);
    check("type: numeric_attribute, numeric_attribute: {key: code, min_value: 500}", vec![
        ("no upper bound", trace(vec![span().attr("code", Int(i64::MAX))]), true),
        ("below", trace(vec![span().attr("code", Int(499))]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn numeric_attribute_inverted() {
    check("type: numeric_attribute, numeric_attribute: {key: code, min_value: 500, max_value: 599, invert_match: true}", vec![
        ("in range: excluded", trace(vec![span(), span().attr("code", Int(503))]), false),
        ("out of range", trace(vec![span().attr("code", Int(200))]), true),
        ("absent", trace(spans(1)), true),
    ]);
}

#[test]
#[rustfmt::skip]
fn status_code() {
    check("type: status_code, status_code: {status_codes: [ERROR]}", vec![
        ("one error span", trace(vec![span(), span().error()]), true),
        ("all unset", trace(spans(3)), false),
    ]);
    check("type: status_code, status_code: {status_codes: [OK, UNSET]}", vec![
        ("unset", trace(spans(1)), true),
        ("only errors", trace(vec![span().error()]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn string_attribute_exact() {
    check("type: string_attribute, string_attribute: {key: service.name, values: [reviews, ratings]}", vec![
        ("resource value", trace(vec![span().res("service.name", Str("reviews"))]), true),
        ("span value", trace(vec![span(), span().attr("service.name", Str("ratings"))]), true),
        ("other value", trace(vec![span().res("service.name", Str("details"))]), false),
        ("prefix only", trace(vec![span().attr("service.name", Str("review"))]), false),
        ("not a string", trace(vec![span().attr("service.name", Other)]), false),
        ("absent", trace(spans(2)), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn string_attribute_regex_is_unanchored() {
    check("type: string_attribute, string_attribute: {key: http.route, values: ['^/api/v[0-9]+/', health], enabled_regex_matching: true, cache_max_size: 10}", vec![
        ("anchored pattern", trace(vec![span().attr("http.route", Str("/api/v2/users"))]), true),
        ("anywhere in the value", trace(vec![span().attr("http.route", Str("/healthz"))]), true),
        ("no match", trace(vec![span().attr("http.route", Str("/web/api/v2/"))]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn string_attribute_inverted() {
    check("type: string_attribute, string_attribute: {key: http.route, values: [/health], invert_match: true}", vec![
        ("matching value: excluded", trace(vec![span(), span().attr("http.route", Str("/health"))]), false),
        ("matching resource value", trace(vec![span().res("http.route", Str("/health"))]), false),
        ("other value", trace(vec![span().attr("http.route", Str("/api"))]), true),
        ("absent", trace(spans(1)), true),
    ]);
}

#[test]
#[rustfmt::skip]
fn boolean_attribute() {
    check("type: boolean_attribute, boolean_attribute: {key: debug, value: true}", vec![
        ("span true", trace(vec![span(), span().attr("debug", Bool(true))]), true),
        ("resource true", trace(vec![span().res("debug", Bool(true))]), true),
        ("false", trace(vec![span().attr("debug", Bool(false))]), false),
        ("string true", trace(vec![span().attr("debug", Str("true"))]), false),
        ("absent", trace(spans(1)), false),
    ]);
    check("type: boolean_attribute, boolean_attribute: {key: debug, value: true, invert_match: true}", vec![
        ("true: excluded", trace(vec![span().attr("debug", Bool(true))]), false),
        ("false", trace(vec![span().attr("debug", Bool(false))]), true),
        ("absent", trace(spans(1)), true),
    ]);
}

#[test]
#[rustfmt::skip]
fn trace_state() {
    check("type: trace_state, trace_state: {key: vendor, values: [gold]}", vec![
        ("member", trace(vec![span(), span().state("ot=th:0,vendor=gold")]), true),
        ("other value", trace(vec![span().state("vendor=silver")]), false),
        ("no tracestate", trace(spans(1)), false),
    ]);
    check("type: trace_state, trace_state: {key: ot, values: ['th:0', 'th:8;rv:00000000000001']}", vec![
        ("one ot sub-key", trace(vec![span().state("ot=th:0;rv:12345678901234")]), true),
        ("whole ot value", trace(vec![span().state("ot=th:8;rv:00000000000001")]), true),
        ("other threshold", trace(vec![span().state("ot=th:8")]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn span_count() {
    check("type: span_count, span_count: {min_spans: 2, max_spans: 3}", vec![
        ("1", trace(spans(1)), false),
        ("2", trace(spans(2)), true),
        ("3", trace(spans(3)), true),
        ("4", trace(spans(4)), false),
    ]);
    check("type: span_count, span_count: {min_spans: 2}", vec![
        ("no upper bound", trace(spans(40)), true),
    ]);
}

#[test]
#[rustfmt::skip]
fn and_needs_every_sub_policy() {
    check("type: and, and: {and_sub_policy: [
            {name: reviews, type: string_attribute, string_attribute: {key: svc, values: [reviews]}},
            {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]}", vec![
        ("both", trace(vec![span().res("svc", Str("reviews")), span().error()]), true),
        ("service only", trace(vec![span().res("svc", Str("reviews"))]), false),
        ("error only", trace(vec![span().error()]), false),
    ]);
    // An inverted sub-policy counts as a match when nothing is excluded.
    check("type: and, and: {and_sub_policy: [
            {name: not-probe, type: string_attribute, string_attribute: {key: route, values: [/live], invert_match: true}},
            {type: always_sample}]}", vec![
        ("not a probe", trace(vec![span().attr("route", Str("/api"))]), true),
        ("probe", trace(vec![span().attr("route", Str("/live"))]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn not_negates() {
    check("type: not, not: {not_sub_policy: {name: probe, type: string_attribute, string_attribute: {key: route, values: [/health]}}}", vec![
        ("probe", trace(vec![span().attr("route", Str("/health"))]), false),
        ("other", trace(vec![span().attr("route", Str("/api"))]), true),
        ("absent", trace(spans(1)), true),
    ]);
    // Negating an inverted match gives the plain match.
    check("type: not, not: {not_sub_policy: {type: string_attribute, string_attribute: {key: route, values: [/health], invert_match: true}}}", vec![
        ("probe", trace(vec![span().attr("route", Str("/health"))]), true),
        ("other", trace(vec![span().attr("route", Str("/api"))]), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn drop_needs_every_sub_policy() {
    let drop = "type: drop, drop: {drop_sub_policy: [
            {name: probe, type: string_attribute, string_attribute: {key: route, values: [/live, /ready]}},
            {name: no-error, type: not, not: {not_sub_policy: {name: any-error, type: status_code, status_code: {status_codes: [ERROR]}}}}]}";
    let set = super::support::set_yaml(&format!(
        "policies: [{{name: drop-probes, {drop}}}, {{name: all, type: always_sample}}]"
    ));
    #[rustfmt::skip]
    let cases = [
        ("probe", trace(vec![span().attr("route", Str("/live"))]), false),
        ("failing probe", trace(vec![span().attr("route", Str("/ready")).error()]), true),
        ("not a probe", trace(vec![span().attr("route", Str("/api"))]), true),
    ];
    for (label, trace, want) in cases {
        let decision = super::support::decide(&set, &trace);
        assert_eq!(decision.keep, want, "{label}");
        let by = if want { "all" } else { "drop-probes" };
        assert_eq!(decision.policy.as_deref(), Some(by), "{label}");
    }
}
