//! The policy document in YAML and JSON: every policy type parses and validates, defaults
//! apply, and a document survives a round trip through either format.

use std::time::Duration;

use crate::tail::config::{DecisionCacheConfig, RateLimitingConfig};
use crate::tail::{PolicyConfig, TailPolicyDocument, TailPolicySet};

/// Every policy type of the SPEC, in the OpenTelemetry Collector's own shape.
const EVERY_TYPE: &str = r#"
decision_wait: 10s
num_traces: 100
expected_new_traces_per_sec: 10
decision_cache:
  sampled_cache_size: 100000
  non_sampled_cache_size: 200000
policies:
  - {name: test-policy-1, type: always_sample}
  - {name: test-policy-2, type: latency, latency: {threshold_ms: 5000, upper_threshold_ms: 10000}}
  - {name: test-policy-3, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}
  - {name: test-policy-4, type: probabilistic, probabilistic: {hash_salt: salt, sampling_percentage: 10}}
  - {name: test-policy-5, type: status_code, status_code: {status_codes: [ERROR, UNSET]}}
  - {name: test-policy-6, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}}
  - {name: test-policy-7, type: string_attribute, string_attribute: {key: key2, values: [value1, val*], enabled_regex_matching: true, cache_max_size: 10}}
  - {name: test-policy-8, type: rate_limiting, rate_limiting: {spans_per_second: 35}}
  - {name: test-policy-9, type: span_count, span_count: {min_spans: 2, max_spans: 20}}
  - {name: test-policy-10, type: trace_state, trace_state: {key: key3, values: [value1, value2]}}
  - {name: test-policy-11, type: boolean_attribute, boolean_attribute: {key: key4, value: true}}
  - {name: test-policy-12, type: bytes_limiting, bytes_limiting: {bytes_per_second: 1048576, burst_capacity: 2097152}}
  - name: and-policy-1
    type: and
    and:
      and_sub_policy:
        - {name: test-and-policy-1, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}
        - {name: test-and-policy-2, type: string_attribute, string_attribute: {key: key2, values: [value1, value2], invert_match: true}}
  - name: not-policy-1
    type: not
    not:
      not_sub_policy: {name: healthcheck, type: string_attribute, string_attribute: {key: http.route, values: [/health]}}
  - name: drop-policy-1
    type: drop
    drop:
      drop_sub_policy:
        - {name: test-drop-policy-1, type: string_attribute, string_attribute: {key: url.path, values: [\/health, \/metrics], enabled_regex_matching: true}}
  - name: composite-policy-1
    type: composite
    composite:
      max_total_spans_per_second: 1000
      policy_order: [test-composite-policy-1, test-composite-policy-2, test-composite-policy-3]
      composite_sub_policy:
        - {name: test-composite-policy-1, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50}}
        - {name: test-composite-policy-2, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}}
        - {name: test-composite-policy-3, type: always_sample}
      rate_allocation:
        - {policy: test-composite-policy-1, percent: 50}
        - {policy: test-composite-policy-2, percent: 25}
"#;

fn every_type() -> TailPolicyDocument {
    serde_yaml_ng::from_str(EVERY_TYPE).unwrap()
}

#[test]
fn every_type_parses_and_validates() {
    let doc = every_type();
    assert_eq!(doc.decision_wait, Duration::from_secs(10));
    assert_eq!(doc.num_traces, 100);
    assert_eq!(doc.expected_new_traces_per_sec, 10);
    let cache = DecisionCacheConfig {
        sampled_cache_size: 100_000,
        non_sampled_cache_size: 200_000,
    };
    assert_eq!(doc.decision_cache, cache);
    assert_eq!(doc.policies.len(), 16);
    let set = TailPolicySet::from_document(doc.clone()).unwrap();
    assert_eq!(set.document(), &doc);
    let settings = set.settings();
    assert_eq!(settings.decision_wait, Duration::from_secs(10));
    assert_eq!(settings.sampled_cache_size, 100_000);
    assert_eq!(set.policy_names().next(), Some("drop-policy-1"));
}

#[test]
fn round_trips_through_yaml_and_json() {
    let doc = every_type();
    let yaml = serde_yaml_ng::to_string(&doc).unwrap();
    assert_eq!(
        serde_yaml_ng::from_str::<TailPolicyDocument>(&yaml).unwrap(),
        doc
    );
    assert!(yaml.contains("decision_wait: 10s"), "{yaml}");
    let json = serde_json::to_string(&doc).unwrap();
    assert_eq!(
        serde_json::from_str::<TailPolicyDocument>(&json).unwrap(),
        doc
    );
    assert!(json.contains(r#""decision_wait":"10s""#), "{json}");
    assert!(json.contains(r#""type":"always_sample""#), "{json}");
}

#[test]
fn json_documents_are_accepted() {
    let json = r#"{
        "decision_wait": "500ms",
        "policies": [
            {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
            {"name": "not-probes", "type": "not", "not": {"not_sub_policy":
                {"name": "probe", "type": "string_attribute",
                 "string_attribute": {"key": "http.route", "values": ["/live"]}}}}
        ]
    }"#;
    let doc: TailPolicyDocument = serde_json::from_str(json).unwrap();
    assert_eq!(doc.decision_wait, Duration::from_millis(500));
    let set = TailPolicySet::from_document(doc).unwrap();
    assert_eq!(
        set.policy_names().collect::<Vec<_>>(),
        ["errors", "not-probes"]
    );
}

#[test]
fn defaults_are_the_collectors() {
    for doc in [
        serde_yaml_ng::from_str::<TailPolicyDocument>("{}").unwrap(),
        serde_json::from_str::<TailPolicyDocument>("{}").unwrap(),
    ] {
        assert_eq!(doc, TailPolicyDocument::default());
        assert_eq!(doc.decision_wait, Duration::from_secs(30));
        assert_eq!(doc.num_traces, 50_000);
        assert_eq!(doc.decision_cache, DecisionCacheConfig::default());
        assert!(!doc.sample_on_first_match);
        assert!(doc.policies.is_empty());
    }
}

#[test]
fn digit_separators_as_in_the_collectors_readme() {
    let doc: TailPolicyDocument = serde_yaml_ng::from_str(
        "num_traces: 50_000
decision_cache: {sampled_cache_size: 100_000, non_sampled_cache_size: 1_000_000}
policies:
  - {name: bytes, type: bytes_limiting, bytes_limiting: {bytes_per_second: 1_048_576, burst_capacity: 2_097_152}}",
    )
    .unwrap();
    assert_eq!(doc.num_traces, 50_000);
    assert_eq!(doc.decision_cache.sampled_cache_size, 100_000);
    assert_eq!(doc.decision_cache.non_sampled_cache_size, 1_000_000);
    let bytes = doc.policies[0].bytes_limiting.as_ref().unwrap();
    assert_eq!(
        (bytes.bytes_per_second, bytes.burst_capacity),
        (1 << 20, Some(2 << 20))
    );
}

#[test]
fn meshtrace_additions() {
    let doc: TailPolicyDocument = serde_yaml_ng::from_str(
        "sample_on_first_match: true
decision_wait_after_root_received: 2s
maximum_trace_size_bytes: 1048576
policies:
  - {name: limit, type: rate_limiting, rate_limiting: {spans_per_second: 100, burst: 500}}",
    )
    .unwrap();
    assert!(doc.sample_on_first_match);
    assert_eq!(
        doc.decision_wait_after_root_received,
        Some(Duration::from_secs(2))
    );
    assert_eq!(doc.maximum_trace_size_bytes, Some(1 << 20));
    let limit = RateLimitingConfig {
        spans_per_second: 100,
        burst_capacity: Some(500),
    };
    assert_eq!(doc.policies[0].rate_limiting.as_ref(), Some(&limit));
    // `burst` is read as, and written back as, `burst_capacity`.
    let yaml = serde_yaml_ng::to_string(&doc).unwrap();
    assert!(yaml.contains("burst_capacity: 500"), "{yaml}");
    let settings = TailPolicySet::from_document(doc)
        .unwrap()
        .settings()
        .clone();
    assert_eq!(
        settings.decision_wait_after_root_received,
        Some(Duration::from_secs(2))
    );
    assert!(settings.sample_on_first_match);
}

#[test]
fn documents_can_be_built_in_code() {
    let mut policy = PolicyConfig::new("limit", "rate_limiting");
    policy.rate_limiting = Some(RateLimitingConfig {
        spans_per_second: 5,
        burst_capacity: None,
    });
    let doc = TailPolicyDocument {
        policies: vec![policy],
        ..TailPolicyDocument::default()
    };
    assert!(TailPolicySet::from_document(doc).is_ok());
}
