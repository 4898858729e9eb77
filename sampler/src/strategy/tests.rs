use std::time::Duration;

use super::*;
use crate::head::{RequestInfo, RootSampler, SamplingInput};
use crate::{HeadSampler, SamplerKind, SamplingState, TraceId};

/// JSON as Jaeger sends it, then the strategy it must read as.
#[rustfmt::skip]
fn vectors() -> Vec<(&'static str, SamplingStrategyResponse)> {
    vec![
        (r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.25}}"#,
            SamplingStrategyResponse::probabilistic(0.25)),
        (r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":10}}"#,
            SamplingStrategyResponse::rate_limiting(10)),
        // protobuf JSON leaves out zero values and may write enums as numbers
        (r#"{"probabilisticSampling":{}}"#, SamplingStrategyResponse::probabilistic(0.0)),
        (r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":5}}"#,
            SamplingStrategyResponse::rate_limiting(5)),
        (r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1},
             "operationSampling":{"defaultSamplingProbability":0.5,"defaultLowerBoundTracesPerSecond":2,
               "perOperationStrategies":[{"operation":"GET /productpage","probabilisticSampling":{"samplingRate":1}}],
               "defaultUpperBoundTracesPerSecond":0}}"#,
            SamplingStrategyResponse {
                operation_sampling: Some(PerOperationStrategies {
                    default_sampling_probability: 0.5,
                    default_lower_bound_traces_per_second: 2.0,
                    per_operation_strategies: vec![OperationStrategy {
                        operation: "GET /productpage".into(),
                        probabilistic_sampling: ProbabilisticStrategy { sampling_rate: 1.0 },
                    }],
                    default_upper_bound_traces_per_second: Some(0.0),
                }),
                ..SamplingStrategyResponse::probabilistic(1.0)
            }),
    ]
}

#[test]
fn reads_jaeger_json_and_round_trips() {
    for (json, want) in vectors() {
        let got: SamplingStrategyResponse = serde_json::from_str(json).unwrap();
        assert_eq!(got, want, "{json}");
        let again: SamplingStrategyResponse =
            serde_json::from_str(&serde_json::to_string(&got).unwrap()).unwrap();
        assert_eq!(again, got);
    }
}

#[test]
fn writes_jaeger_field_names() {
    let json = serde_json::to_value(SamplingStrategyResponse::rate_limiting(3)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"strategyType": "RATE_LIMITING", "rateLimitingSampling": {"maxTracesPerSecond": 3}})
    );
    let json = serde_json::to_value(SamplingStrategyResponse::probabilistic(0.5)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.5}})
    );
}

#[test]
fn rejects_unknown_strategy_types() {
    assert!(
        serde_json::from_str::<SamplingStrategyResponse>(r#"{"strategyType":"ADAPTIVE"}"#).is_err()
    );
    assert!(serde_json::from_str::<SamplingStrategyResponse>(r#"{"strategyType":7}"#).is_err());
}

fn root_decision(
    sampler: &HeadSampler,
    method: &str,
    path: &str,
    low: u64,
) -> (SamplingState, Option<(SamplerKind, f64)>) {
    let mut bytes = [0xaa; 16];
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    let trace = TraceId::from_bytes(bytes).unwrap();
    let request = RequestInfo {
        method,
        path,
        ..RequestInfo::default()
    };
    let d = sampler.decide(
        &SamplingInput::new(trace, None)
            .with_request(request)
            .at(Duration::from_secs(1)),
    );
    (d.sampling, d.root)
}

#[test]
fn builds_the_sampler_each_strategy_means() {
    let p = HeadSampler::from_strategy(&SamplingStrategyResponse::probabilistic(0.5)).unwrap();
    assert_eq!(p.probability(), Some(0.5));
    assert_eq!(
        root_decision(&p, "GET", "/", u64::MAX).1,
        Some((SamplerKind::Probabilistic, 0.5))
    );

    let r = HeadSampler::from_strategy(&SamplingStrategyResponse::rate_limiting(2)).unwrap();
    let kept = (0..10)
        .filter(|_| root_decision(&r, "GET", "/", 0).0.is_sampled())
        .count();
    assert_eq!(kept, 2);
    assert_eq!(
        root_decision(&r, "GET", "/", 0).1,
        Some((SamplerKind::RateLimiting, 2.0))
    );

    let (json, _) = &vectors()[4];
    let ops = HeadSampler::from_strategy(&serde_json::from_str(json).unwrap()).unwrap();
    assert!(matches!(ops.root(), RootSampler::PerOperation(_)));
    // The listed operation keeps everything at p = 1.
    for low in [0, 1, u64::MAX] {
        assert!(
            root_decision(&ops, "GET", "/productpage", low)
                .0
                .is_sampled()
        );
    }
    // Others: p = 0.5 (R below T is dropped) with a lower bound of 2 per second.
    let lows: Vec<_> = (0..5)
        .map(|_| root_decision(&ops, "GET", "/details", 0))
        .collect();
    assert_eq!(lows.iter().filter(|d| d.0.is_sampled()).count(), 2);
    assert_eq!(lows[0].1, Some((SamplerKind::LowerBound, 0.5)));
    assert_eq!(lows[4].1, Some((SamplerKind::Probabilistic, 0.5)));
}

#[test]
fn invalid_strategies_are_errors() {
    assert!(HeadSampler::from_strategy(&SamplingStrategyResponse::probabilistic(1.5)).is_err());
    assert!(HeadSampler::from_strategy(&SamplingStrategyResponse::rate_limiting(-1)).is_err());
    let missing = SamplingStrategyResponse {
        strategy_type: StrategyType::RateLimiting,
        ..Default::default()
    };
    assert_eq!(
        HeadSampler::from_strategy(&missing),
        Err(StrategyError::Missing(
            "RATE_LIMITING",
            "rateLimitingSampling"
        ))
    );
}
