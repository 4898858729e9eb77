use sampler::strategy::{OperationStrategy, ProbabilisticStrategy, SamplingStrategyResponse};

use super::*;
use crate::strategy::document::parse;

fn doc(json: &str) -> StrategiesDocument {
    parse(json.as_bytes()).unwrap()
}

fn ops(response: &SamplingStrategyResponse) -> (f64, Vec<(&str, f64)>) {
    let per_op = response.operation_sampling.as_ref().unwrap();
    let list = per_op
        .per_operation_strategies
        .iter()
        .map(|o| (o.operation.as_str(), o.probabilistic_sampling.sampling_rate))
        .collect();
    (per_op.default_sampling_probability, list)
}

/// jaeger `static/fixtures/strategies.json` and `TestStrategyStoreWithFile`.
#[test]
fn services_then_default_then_jaeger_fallback() {
    let resolved = resolve(&doc(r#"{
        "default_strategy": {"type": "probabilistic", "param": 0.5},
        "service_strategies": [
            {"service": "foo", "type": "probabilistic", "param": 0.8},
            {"service": "bar", "type": "ratelimiting", "param": 5.7}
        ]}"#))
    .unwrap();
    assert_eq!(
        resolved.for_service("foo"),
        &SamplingStrategyResponse::probabilistic(0.8)
    );
    assert_eq!(
        resolved.for_service("bar"),
        &SamplingStrategyResponse::rate_limiting(5)
    );
    assert_eq!(
        resolved.for_service("other"),
        &SamplingStrategyResponse::probabilistic(0.5)
    );
    assert!(resolved.configured_for("other").is_some());

    let empty = resolve(&StrategiesDocument::default()).unwrap();
    assert_eq!(
        empty.for_service("foo"),
        &SamplingStrategyResponse::probabilistic(0.001)
    );
    assert_eq!(empty.configured_for("foo"), None);
}

/// jaeger `TestPerOperationSamplingStrategies` (without its rate-limited operations, which
/// are refused here).
#[test]
fn operation_strategies_merge_with_the_default_ones() {
    let resolved = resolve(&doc(r#"{
        "default_strategy": {"type": "probabilistic", "param": 0.5, "operation_strategies": [
            {"operation": "op0", "type": "probabilistic", "param": 0.2},
            {"operation": "op6", "type": "probabilistic", "param": 0},
            {"operation": "op7", "type": "probabilistic", "param": 1}]},
        "service_strategies": [
            {"service": "foo", "type": "probabilistic", "param": 0.8, "operation_strategies": [
                {"operation": "op6", "type": "probabilistic", "param": 0.5},
                {"operation": "op1", "type": "probabilistic", "param": 0.2}]},
            {"service": "bar", "type": "ratelimiting", "param": 5, "operation_strategies": [
                {"operation": "op3", "type": "probabilistic", "param": 0.3},
                {"operation": "op5", "type": "probabilistic", "param": 0.4}]}
        ]}"#))
    .unwrap();
    let foo = resolved.for_service("foo");
    assert_eq!(foo.probabilistic_sampling.unwrap().sampling_rate, 0.8);
    assert_eq!(
        ops(foo),
        (
            0.8,
            vec![("op6", 0.5), ("op1", 0.2), ("op0", 0.2), ("op7", 1.0)]
        )
    );
    let bar = resolved.for_service("bar");
    assert_eq!(bar.rate_limiting_sampling.unwrap().max_traces_per_second, 5);
    assert_eq!(
        ops(bar),
        (
            0.001,
            vec![
                ("op3", 0.3),
                ("op5", 0.4),
                ("op0", 0.2),
                ("op6", 0.0),
                ("op7", 1.0)
            ]
        )
    );
    let default = resolved.for_service("default");
    assert_eq!(
        ops(default),
        (0.5, vec![("op0", 0.2), ("op6", 0.0), ("op7", 1.0)])
    );
    assert_eq!(
        default
            .operation_sampling
            .as_ref()
            .unwrap()
            .per_operation_strategies[0],
        OperationStrategy {
            operation: "op0".into(),
            probabilistic_sampling: ProbabilisticStrategy { sampling_rate: 0.2 },
        }
    );
}

/// jaeger `static/fixtures/service_no_per_operation.json` and its ServiceB snapshot.
#[test]
fn services_without_operations_copy_the_default_ones() {
    let resolved = resolve(&doc(r#"{
        "service_strategies": [
            {"service": "ServiceA", "type": "probabilistic", "param": 1.0},
            {"service": "ServiceB", "type": "ratelimiting", "param": 3}],
        "default_strategy": {"type": "probabilistic", "param": 0.2, "operation_strategies": [
            {"operation": "/health", "type": "probabilistic", "param": 0.1}]}
        }"#))
    .unwrap();
    assert_eq!(
        ops(resolved.for_service("ServiceA")),
        (1.0, vec![("/health", 0.1)])
    );
    let b = resolved.for_service("ServiceB");
    assert_eq!(b.rate_limiting_sampling.unwrap().max_traces_per_second, 3);
    assert_eq!(ops(b), (0.2, vec![("/health", 0.1)]));
}

#[test]
fn whole_document_is_validated_naming_the_entry() {
    #[rustfmt::skip]
    let cases = [
        (r#"{"service_strategies": [{"type": "probabilistic", "param": 0.1}]}"#,
            "service_strategies[0]"),
        (r#"{"service_strategies": [{"service": "a", "type": "probabilistic", "param": 0.1},
                                    {"service": "a", "type": "probabilistic", "param": 0.2}]}"#,
            "more than one entry"),
        (r#"{"service_strategies": [{"service": "a", "type": "probabilistic", "param": 1.5}]}"#,
            r#"service "a": param 1.5"#),
        (r#"{"default_strategy": {"type": "ratelimiting", "param": -1}}"#,
            "default_strategy: param -1"),
        (r#"{"service_strategies": [{"service": "a", "type": "ratelimiting", "param": 1e12}]}"#,
            "out of range"),
        (r#"{"service_strategies": [{"service": "a", "type": "probabilistic", "param": 0.1,
              "operation_strategies": [{"operation": "x", "type": "ratelimiting", "param": 2}]}]}"#,
            r#"operation "x": only `probabilistic`"#),
        (r#"{"service_strategies": [{"service": "a", "type": "probabilistic", "param": 0.1,
              "operation_strategies": [{"operation": "x", "type": "probabilistic", "param": 2}]}]}"#,
            r#"service "a" operation "x": param 2"#),
    ];
    for (json, want) in cases {
        let err = resolve(&doc(json)).unwrap_err().to_string();
        assert!(err.contains(want), "{json}: {err}");
    }
    assert!(validate_entry(&ServiceEntry::probabilistic("a", 0.3)).is_ok());
    assert!(validate_entry(&ServiceEntry::probabilistic("a", -0.3)).is_err());
}
