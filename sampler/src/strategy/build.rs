//! From a Jaeger strategy to the head sampler it means, as Jaeger's clients read it:
//! `operationSampling` wins when present (per-operation probability with a lower bound, the
//! default probability for the rest); otherwise `strategyType` picks probabilistic or rate
//! limiting (burst `max(rate, 1)`).

use super::{PerOperationStrategies, SamplingStrategyResponse, StrategyType};
use crate::HeadSampler;
use crate::head::{
    GuaranteedThroughput, InvalidProbability, InvalidRate, PerOperation, Probabilistic,
    RateLimited, RootSampler, RouteMatch, RouteRule,
};

/// Why a strategy cannot be turned into a sampler.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StrategyError {
    /// A probability outside `[0, 1]`.
    #[error(transparent)]
    Probability(#[from] InvalidProbability),
    /// A negative or non-finite rate.
    #[error(transparent)]
    Rate(#[from] InvalidRate),
    /// `strategyType` names a strategy whose body is missing.
    #[error("strategyType {0} without its {1} field")]
    Missing(&'static str, &'static str),
}

impl HeadSampler {
    /// The parent-based head sampler a Jaeger strategy describes.
    pub fn from_strategy(strategy: &SamplingStrategyResponse) -> Result<Self, StrategyError> {
        RootSampler::from_strategy(strategy).map(HeadSampler::new)
    }
}

impl RootSampler {
    /// The root sampler a Jaeger strategy describes.
    pub fn from_strategy(strategy: &SamplingStrategyResponse) -> Result<Self, StrategyError> {
        if let Some(per_operation) = &strategy.operation_sampling {
            return per_operation_sampler(per_operation);
        }
        match strategy.strategy_type {
            StrategyType::Probabilistic => {
                let body = strategy
                    .probabilistic_sampling
                    .ok_or(StrategyError::Missing(
                        "PROBABILISTIC",
                        "probabilisticSampling",
                    ))?;
                Ok(RootSampler::Probabilistic(Probabilistic::new(
                    body.sampling_rate,
                )?))
            }
            StrategyType::RateLimiting => {
                let body = strategy
                    .rate_limiting_sampling
                    .ok_or(StrategyError::Missing(
                        "RATE_LIMITING",
                        "rateLimitingSampling",
                    ))?;
                let rate = f64::from(body.max_traces_per_second);
                Ok(RootSampler::RateLimited(RateLimited::per_second(rate)?))
            }
        }
    }
}

fn per_operation_sampler(config: &PerOperationStrategies) -> Result<RootSampler, StrategyError> {
    let lower_bound = config.default_lower_bound_traces_per_second;
    let guaranteed = |p: f64| -> Result<RootSampler, StrategyError> {
        Ok(RootSampler::GuaranteedThroughput(
            GuaranteedThroughput::new(Probabilistic::new(p)?, lower_bound)?,
        ))
    };
    let rules = config
        .per_operation_strategies
        .iter()
        .map(|op| {
            Ok(RouteRule {
                route: RouteMatch::operation(&op.operation),
                sampler: guaranteed(op.probabilistic_sampling.sampling_rate)?,
            })
        })
        .collect::<Result<Vec<_>, StrategyError>>()?;
    let default = guaranteed(config.default_sampling_probability)?;
    Ok(RootSampler::PerOperation(PerOperation::new(rules, default)))
}
