//! One step of adaptive sampling, in the spirit of Jaeger's (jaeger
//! `plugin/sampling/strategyprovider/adaptive/post_aggregator.go`, `calculateProbability`, and
//! `calculationstrategy/percentage_increase_capped_calculator.go`): every interval, each
//! operation's probability is scaled by `target / observed` sampled traces per second;
//! increases are capped (50 % per interval by default, so a burst of luck cannot open the
//! gates), decreases are not (a traffic spike is cut at once); an operation within the
//! tolerance of its target keeps its probability; one that sent nothing sampled doubles; the
//! result stays in `[min_probability, 1]`. The strategy pushed carries a lower bound of traces
//! per second so quiet operations are still seen. Pure: the caller measures and applies.

use std::collections::BTreeMap;

use sampler::strategy::{
    OperationStrategy, PerOperationStrategies, ProbabilisticStrategy, SamplingStrategyResponse,
};
use serde::Deserialize;

/// The adaptive settings of one service (Jaeger's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdaptiveConfig {
    /// Sampled traces per second wanted for each operation of the service.
    pub target_traces_per_second: f64,
    /// Relative distance from the target within which nothing changes (0.3 = 30 %).
    pub delta_tolerance: f64,
    /// Largest relative increase of a probability per interval (0.5 = +50 %).
    pub increase_cap: f64,
    /// Smallest probability handed out.
    pub min_probability: f64,
    /// Probability of an operation seen for the first time.
    pub initial_probability: f64,
    /// Traces per second every operation keeps at least (`defaultLowerBoundTracesPerSecond`).
    pub lower_bound_traces_per_second: f64,
}

impl Default for AdaptiveConfig {
    fn default() -> Self {
        Self {
            target_traces_per_second: 1.0,
            delta_tolerance: 0.3,
            increase_cap: 0.5,
            min_probability: 1e-5,
            initial_probability: 0.001,
            lower_bound_traces_per_second: 1.0 / 60.0,
        }
    }
}

/// Operation name to a value (probability, or sampled traces per second).
pub type PerOperation = BTreeMap<String, f64>;

/// The probability of one operation for the next interval, from its current probability and
/// the sampled traces per second observed with it.
pub fn next_probability(current: f64, observed_per_second: f64, config: &AdaptiveConfig) -> f64 {
    let target = config.target_traces_per_second;
    if target <= 0.0 {
        return config.min_probability;
    }
    if ((observed_per_second - target) / target).abs() < config.delta_tolerance {
        return current;
    }
    let next = if observed_per_second <= 0.0 {
        current * 2.0
    } else {
        let proposed = current * target / observed_per_second;
        proposed.min(current * (1.0 + config.increase_cap))
    };
    next.clamp(config.min_probability, 1.0)
}

/// Every observed operation's next probability; operations not observed this interval keep
/// theirs (they may just be idle), new ones start from `initial_probability`.
pub fn next_probabilities(
    observed: &PerOperation,
    current: &PerOperation,
    config: &AdaptiveConfig,
) -> PerOperation {
    let mut next = current.clone();
    for (operation, per_second) in observed {
        let now = current
            .get(operation)
            .copied()
            .unwrap_or(config.initial_probability);
        next.insert(
            operation.clone(),
            next_probability(now, *per_second, config),
        );
    }
    next
}

/// The strategy that hands `probabilities` out: per operation, with the initial probability
/// for operations not yet seen and the configured lower bound.
pub fn to_strategy(
    probabilities: &PerOperation,
    config: &AdaptiveConfig,
) -> SamplingStrategyResponse {
    SamplingStrategyResponse {
        operation_sampling: Some(PerOperationStrategies {
            default_sampling_probability: config.initial_probability,
            default_lower_bound_traces_per_second: config.lower_bound_traces_per_second,
            per_operation_strategies: probabilities
                .iter()
                .map(|(operation, p)| OperationStrategy {
                    operation: operation.clone(),
                    probabilistic_sampling: ProbabilisticStrategy { sampling_rate: *p },
                })
                .collect(),
            default_upper_bound_traces_per_second: None,
        }),
        ..SamplingStrategyResponse::probabilistic(config.initial_probability)
    }
}
