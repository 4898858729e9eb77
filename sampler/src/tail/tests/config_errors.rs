//! Rejected documents and the one line that says why: validation errors name the policy (as
//! a path from the top), serde errors name the key.

use crate::tail::{TailConfigError, TailPolicyDocument, TailPolicySet};

fn validate(yaml: &str) -> Result<TailPolicySet, TailConfigError> {
    let doc: TailPolicyDocument =
        serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    TailPolicySet::from_document(doc)
}

fn error_of(yaml: &str) -> String {
    match validate(yaml) {
        Ok(_) => panic!("accepted: {yaml}"),
        Err(e) => e.to_string(),
    }
}

/// One policy list entry, then the exact message.
#[rustfmt::skip]
const POLICY_ERRORS: &[(&str, &str)] = &[
    ("{name: x, type: bogus}",
     "policy \"x\": unknown policy type \"bogus\" (expected one of always_sample, latency, numeric_attribute, probabilistic, status_code, string_attribute, boolean_attribute, trace_state, rate_limiting, bytes_limiting, span_count, and, not, drop, composite)"),
    ("{name: o, type: ottl_condition}",
     "policy \"o\": unknown policy type \"ottl_condition\" (expected one of always_sample, latency, numeric_attribute, probabilistic, status_code, string_attribute, boolean_attribute, trace_state, rate_limiting, bytes_limiting, span_count, and, not, drop, composite)"),
    ("{name: slow, type: latency}",
     "policy \"slow\": type latency needs a `latency` block"),
    ("{name: b, type: boolean_attribute, string_attribute: {key: k, values: [v]}}",
     "policy \"b\": type boolean_attribute does not take a `string_attribute` block"),
    ("{name: r, type: string_attribute, string_attribute: {key: k, values: [ok, '(unclosed'], enabled_regex_matching: true}}",
     "policy \"r\": invalid regex \"(unclosed\": "),
    ("{name: s, type: status_code, status_code: {status_codes: [error]}}",
     "policy \"s\": `status_code.status_codes` has unknown status code \"error\" (expected OK, ERROR or UNSET)"),
    ("{name: s, type: status_code, status_code: {status_codes: []}}",
     "policy \"s\": `status_code.status_codes` must list at least one of OK, ERROR, UNSET"),
    ("{name: l, type: latency, latency: {threshold_ms: 500, upper_threshold_ms: 100}}",
     "policy \"l\": `latency.upper_threshold_ms` must be above threshold_ms (500)"),
    ("{name: n, type: numeric_attribute, numeric_attribute: {key: k}}",
     "policy \"n\": `numeric_attribute.min_value` or `max_value` must be set"),
    ("{name: n, type: numeric_attribute, numeric_attribute: {key: k, min_value: 5, max_value: 1}}",
     "policy \"n\": `numeric_attribute.max_value` must be at least min_value (5)"),
    ("{name: p, type: probabilistic, probabilistic: {sampling_percentage: -1}}",
     "policy \"p\": `probabilistic.sampling_percentage` must be a percentage from 0 to 100, got -1"),
    ("{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0}}",
     "policy \"r\": `rate_limiting.spans_per_second` must be above zero"),
    ("{name: c, type: span_count, span_count: {min_spans: 5, max_spans: 2}}",
     "policy \"c\": `span_count.max_spans` must be at least min_spans (5)"),
    ("{name: t, type: trace_state, trace_state: {key: '', values: [a]}}",
     "policy \"t\": `trace_state.key` must not be empty"),
    ("{name: a, type: and, and: {and_sub_policy: []}}",
     "policy \"a\": `and.and_sub_policy` must not be empty"),
    ("{name: a, type: and, and: {and_sub_policy: [{name: inner, type: latency}]}}",
     "policy \"a/inner\": type latency needs a `latency` block"),
    ("{name: a, type: and, and: {and_sub_policy: [{type: always_sample}, {type: nope}]}}",
     "policy \"a/and_sub_policy[1]\": unknown policy type \"nope\" (expected one of always_sample, latency, numeric_attribute, probabilistic, status_code, string_attribute, boolean_attribute, trace_state, rate_limiting, bytes_limiting, span_count, and, not, drop, composite)"),
    ("{name: a, type: and, and: {and_sub_policy: [{name: d, type: drop, drop: {drop_sub_policy: [{type: always_sample}]}}]}}",
     "policy \"a/d\": type drop is only allowed at the top level"),
    ("{name: n, type: not, not: {not_sub_policy: {name: c, type: composite, composite: {max_total_spans_per_second: 1, composite_sub_policy: [{name: x, type: always_sample}]}}}}",
     "policy \"n/c\": type composite is only allowed at the top level"),
    ("{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: x, type: always_sample}], rate_allocation: [{policy: y, percent: 10}]}}",
     "policy \"c\": `composite.rate_allocation` names \"y\", which is not a composite_sub_policy"),
    ("{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: x, type: always_sample}, {name: y, type: always_sample}], rate_allocation: [{policy: x, percent: 60}, {policy: y, percent: 50}]}}",
     "policy \"c\": `composite.rate_allocation` percentages add up to more than 100"),
    ("{name: c, type: composite, composite: {max_total_spans_per_second: 10, policy_order: [z], composite_sub_policy: [{name: x, type: always_sample}]}}",
     "policy \"c\": `composite.policy_order` names \"z\", which is not a composite_sub_policy"),
    ("{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{type: always_sample}]}}",
     "c/composite_sub_policy[0]: policy has no `name`"),
    ("{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: x, type: bad}]}}",
     "policy \"c/x\": unknown policy type \"bad\" (expected one of always_sample, latency, numeric_attribute, probabilistic, status_code, string_attribute, boolean_attribute, trace_state, rate_limiting, bytes_limiting, span_count, and, not, drop, composite)"),
    ("{name: c, type: composite, composite: {max_total_spans_per_second: 0, composite_sub_policy: [{name: x, type: always_sample}]}}",
     "policy \"c\": `composite.max_total_spans_per_second` must be above zero"),
];

#[test]
fn policy_errors_name_the_policy() {
    for &(policy, want) in POLICY_ERRORS {
        let got = error_of(&format!("policies: [{policy}]"));
        if want.ends_with(": ") {
            assert!(
                got.starts_with(want),
                "{policy}\n got: {got}\nwant: {want}..."
            );
        } else {
            assert_eq!(got, want, "{policy}");
        }
    }
}

#[test]
fn document_errors() {
    #[rustfmt::skip]
    let cases: &[(&str, &str)] = &[
        ("policies: [{name: a, type: always_sample}, {type: always_sample}]",
         "policies[1]: policy has no `name`"),
        ("policies: [{name: a, type: always_sample}, {name: a, type: always_sample}]",
         "duplicate policy name \"a\""),
        ("num_traces: 0", "tail sampling `num_traces`: must be above zero"),
        ("decision_wait: 0s", "tail sampling `decision_wait`: must be above zero"),
    ];
    for &(yaml, want) in cases {
        assert_eq!(error_of(yaml), want, "{yaml}");
    }
}

#[test]
fn serde_errors_name_the_key() {
    #[rustfmt::skip]
    let cases: &[(&str, &str)] = &[
        ("policies: [{name: s, type: latency, latency: {treshold_ms: 5}}]", "unknown field `treshold_ms`"),
        ("policy: []", "unknown field `policy`"),
        ("policies: [{name: s, typ: latency}]", "unknown field `typ`"),
        ("policies: [{name: s}]", "missing field `type`"),
        ("decision_cache: {sampled_cache: 1}", "unknown field `sampled_cache`"),
        ("decision_wait: 10 parsecs", "invalid duration \"10 parsecs\""),
        ("num_traces: lots", "invalid value: string \"lots\", expected an integer"),
        ("num_traces: 1.5", "invalid type: floating point `1.5`, expected an integer"),
        ("policies: [{name: n, type: not, not: {not_sub_policy: [{type: always_sample}]}}]", "invalid type: sequence"),
        ("policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: -1}}]", "integer -1 is out of range"),
    ];
    for &(yaml, want) in cases {
        let yaml_err = serde_yaml_ng::from_str::<TailPolicyDocument>(yaml).unwrap_err();
        assert!(yaml_err.to_string().contains(want), "{yaml}: {yaml_err}");
    }
    let json_err = serde_json::from_str::<TailPolicyDocument>(
        r#"{"policies": [{"name": "s", "type": "latency", "latency": {"threshold_ms": 1, "extra": 2}}]}"#,
    )
    .unwrap_err();
    assert!(
        json_err.to_string().contains("unknown field `extra`"),
        "{json_err}"
    );
}
