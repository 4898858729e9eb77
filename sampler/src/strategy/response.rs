//! The Jaeger `SamplingStrategyResponse` (`jaeger.api_v2`, `sampling.proto`) as JSON.
//!
//! Jaeger marshals it with protobuf's JSON mapping, which leaves out fields at their zero
//! value (so `strategyType` `PROBABILISTIC` = 0 and a `samplingRate` of 0 may be absent) and
//! may write enums as numbers; every field therefore has a default, and `strategyType` reads
//! both its name and its number. Writing always emits every field, by name.

use serde::{Deserialize, Deserializer, Serialize};

/// The top-level strategy kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum StrategyType {
    /// `PROBABILISTIC` (0): keep a fraction of traces.
    #[default]
    #[serde(rename = "PROBABILISTIC")]
    Probabilistic,
    /// `RATE_LIMITING` (1): keep at most so many traces per second.
    #[serde(rename = "RATE_LIMITING")]
    RateLimiting,
}

impl<'de> Deserialize<'de> for StrategyType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Name(String),
            Number(i64),
        }
        match Wire::deserialize(deserializer)? {
            Wire::Name(name) if name == "PROBABILISTIC" => Ok(Self::Probabilistic),
            Wire::Name(name) if name == "RATE_LIMITING" => Ok(Self::RateLimiting),
            Wire::Number(0) => Ok(Self::Probabilistic),
            Wire::Number(1) => Ok(Self::RateLimiting),
            Wire::Name(other) => Err(serde::de::Error::custom(format!(
                "unknown strategyType {other:?} (expected PROBABILISTIC or RATE_LIMITING)"
            ))),
            Wire::Number(other) => Err(serde::de::Error::custom(format!(
                "unknown strategyType {other} (expected 0 or 1)"
            ))),
        }
    }
}

/// `probabilisticSampling`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbabilisticStrategy {
    /// Probability in `[0, 1]`.
    #[serde(default)]
    pub sampling_rate: f64,
}

/// `rateLimitingSampling`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitingStrategy {
    /// Traces per second (an `int32` in Jaeger's proto).
    #[serde(default)]
    pub max_traces_per_second: i32,
}

/// One entry of `perOperationStrategies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStrategy {
    /// The operation (span) name, e.g. `GET /productpage`.
    #[serde(default)]
    pub operation: String,
    /// Its probability.
    #[serde(default)]
    pub probabilistic_sampling: ProbabilisticStrategy,
}

/// `operationSampling`: per-operation probabilities with a lower bound.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerOperationStrategies {
    /// The probability of operations not listed.
    #[serde(default)]
    pub default_sampling_probability: f64,
    /// Traces per second every operation gets at least.
    #[serde(default)]
    pub default_lower_bound_traces_per_second: f64,
    /// The listed operations.
    #[serde(default)]
    pub per_operation_strategies: Vec<OperationStrategy>,
    /// Jaeger's upper bound (sent by Jaeger, unused by its clients; kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_upper_bound_traces_per_second: Option<f64>,
}

/// The remote sampling response for one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplingStrategyResponse {
    /// Which of the two top-level strategies applies (when `operation_sampling` is absent).
    #[serde(default)]
    pub strategy_type: StrategyType,
    /// Set for `PROBABILISTIC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilistic_sampling: Option<ProbabilisticStrategy>,
    /// Set for `RATE_LIMITING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limiting_sampling: Option<RateLimitingStrategy>,
    /// Per-operation strategies; when present, Jaeger clients use them instead of the
    /// top-level strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_sampling: Option<PerOperationStrategies>,
}

impl SamplingStrategyResponse {
    /// A probabilistic strategy.
    pub fn probabilistic(sampling_rate: f64) -> Self {
        Self {
            strategy_type: StrategyType::Probabilistic,
            probabilistic_sampling: Some(ProbabilisticStrategy { sampling_rate }),
            ..Self::default()
        }
    }

    /// A rate-limiting strategy.
    pub fn rate_limiting(max_traces_per_second: i32) -> Self {
        Self {
            strategy_type: StrategyType::RateLimiting,
            rate_limiting_sampling: Some(RateLimitingStrategy {
                max_traces_per_second,
            }),
            ..Self::default()
        }
    }
}
