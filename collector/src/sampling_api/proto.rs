//! The messages of `jaeger.api_v2.SamplingManager`, written by hand as prost would generate
//! them from jaeger-idl `proto/api_v2/sampling.proto` (no maintained crate ships them), and
//! the conversion from the sampler crate's strategy types.

use sampler::strategy::{self as strategy, StrategyType};

/// `SamplingStrategyType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SamplingStrategyType {
    /// `PROBABILISTIC = 0`.
    Probabilistic = 0,
    /// `RATE_LIMITING = 1`.
    RateLimiting = 1,
}

/// `ProbabilisticSamplingStrategy`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct ProbabilisticSamplingStrategy {
    /// `double samplingRate = 1`.
    #[prost(double, tag = "1")]
    pub sampling_rate: f64,
}

/// `RateLimitingSamplingStrategy`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct RateLimitingSamplingStrategy {
    /// `int32 maxTracesPerSecond = 1`.
    #[prost(int32, tag = "1")]
    pub max_traces_per_second: i32,
}

/// `OperationSamplingStrategy`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperationSamplingStrategy {
    /// `string operation = 1`.
    #[prost(string, tag = "1")]
    pub operation: String,
    /// `ProbabilisticSamplingStrategy probabilisticSampling = 2`.
    #[prost(message, optional, tag = "2")]
    pub probabilistic_sampling: Option<ProbabilisticSamplingStrategy>,
}

/// `PerOperationSamplingStrategies`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PerOperationSamplingStrategies {
    /// `double defaultSamplingProbability = 1`.
    #[prost(double, tag = "1")]
    pub default_sampling_probability: f64,
    /// `double defaultLowerBoundTracesPerSecond = 2`.
    #[prost(double, tag = "2")]
    pub default_lower_bound_traces_per_second: f64,
    /// `repeated OperationSamplingStrategy perOperationStrategies = 3`.
    #[prost(message, repeated, tag = "3")]
    pub per_operation_strategies: Vec<OperationSamplingStrategy>,
    /// `double defaultUpperBoundTracesPerSecond = 4`.
    #[prost(double, tag = "4")]
    pub default_upper_bound_traces_per_second: f64,
}

/// `SamplingStrategyResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SamplingStrategyResponse {
    /// `SamplingStrategyType strategyType = 1`.
    #[prost(enumeration = "SamplingStrategyType", tag = "1")]
    pub strategy_type: i32,
    /// `ProbabilisticSamplingStrategy probabilisticSampling = 2`.
    #[prost(message, optional, tag = "2")]
    pub probabilistic_sampling: Option<ProbabilisticSamplingStrategy>,
    /// `RateLimitingSamplingStrategy rateLimitingSampling = 3`.
    #[prost(message, optional, tag = "3")]
    pub rate_limiting_sampling: Option<RateLimitingSamplingStrategy>,
    /// `PerOperationSamplingStrategies operationSampling = 4`.
    #[prost(message, optional, tag = "4")]
    pub operation_sampling: Option<PerOperationSamplingStrategies>,
}

/// `SamplingStrategyParameters`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SamplingStrategyParameters {
    /// `string serviceName = 1`.
    #[prost(string, tag = "1")]
    pub service_name: String,
}

fn probabilistic(p: strategy::ProbabilisticStrategy) -> ProbabilisticSamplingStrategy {
    ProbabilisticSamplingStrategy {
        sampling_rate: p.sampling_rate,
    }
}

impl From<&strategy::SamplingStrategyResponse> for SamplingStrategyResponse {
    fn from(s: &strategy::SamplingStrategyResponse) -> Self {
        let strategy_type = match s.strategy_type {
            StrategyType::Probabilistic => SamplingStrategyType::Probabilistic,
            StrategyType::RateLimiting => SamplingStrategyType::RateLimiting,
        };
        Self {
            strategy_type: strategy_type as i32,
            probabilistic_sampling: s.probabilistic_sampling.map(probabilistic),
            rate_limiting_sampling: s.rate_limiting_sampling.map(|r| {
                RateLimitingSamplingStrategy {
                    max_traces_per_second: r.max_traces_per_second,
                }
            }),
            operation_sampling: s.operation_sampling.as_ref().map(|ops| {
                PerOperationSamplingStrategies {
                    default_sampling_probability: ops.default_sampling_probability,
                    default_lower_bound_traces_per_second: ops
                        .default_lower_bound_traces_per_second,
                    per_operation_strategies: ops
                        .per_operation_strategies
                        .iter()
                        .map(|op| OperationSamplingStrategy {
                            operation: op.operation.clone(),
                            probabilistic_sampling: Some(probabilistic(op.probabilistic_sampling)),
                        })
                        .collect(),
                    default_upper_bound_traces_per_second: ops
                        .default_upper_bound_traces_per_second
                        .unwrap_or(0.0),
                }
            }),
        }
    }
}
