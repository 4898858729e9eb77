//! Jaeger remote sampling strategies: the response types, field for field as Jaeger's
//! `/sampling` endpoint and `SamplingManager/GetSamplingStrategy` send them, and the head
//! sampler each one means.

mod build;
mod response;

pub use build::StrategyError;
pub use response::{
    OperationStrategy, PerOperationStrategies, ProbabilisticStrategy, RateLimitingStrategy,
    SamplingStrategyResponse, StrategyType,
};

#[cfg(test)]
mod tests;
