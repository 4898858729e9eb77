//! From a strategies document to the remote-sampling response of every service, exactly as
//! Jaeger's static provider does it (jaeger
//! `plugin/sampling/strategyprovider/static/provider.go`, `parseStrategies`, the behaviour
//! with `IncludeDefaultOpStrategies`, i.e. the fix of jaeger issue 5270):
//!
//! - a service with an entry gets it; any other service gets `default_strategy`, or
//!   probabilistic 0.001 when the document has none;
//! - an entry with `operation_strategies` gets `operationSampling` whose
//!   `defaultSamplingProbability` is the entry's probability (0.001 for a rate-limiting entry)
//!   and whose lower bound is 0;
//! - when the default has `operationSampling`, a service without operation strategies gets a
//!   copy of it (with its own probability as the default, when probabilistic), and a service
//!   with some gets the default's operations it does not list appended.
//!
//! Unlike Jaeger, which logs and skips what it cannot use, the whole document is validated
//! first: an unusable entry is an error that names it (see [`ValidationError`]).

use std::collections::HashMap;

use sampler::HeadSampler;
use sampler::strategy::{
    OperationStrategy, PerOperationStrategies, ProbabilisticStrategy, SamplingStrategyResponse,
    StrategyError,
};

use super::document::{ServiceEntry, StrategiesDocument, StrategyKind};

/// Jaeger's probability when nothing else is configured (`defaultSamplingProbability` in
/// `static/constants.go`).
pub const JAEGER_DEFAULT_PROBABILITY: f64 = 0.001;

/// Why a strategies document (or one entry) cannot be applied. Names the entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// A `service_strategies` entry without a service name.
    #[error("service_strategies[{index}]: `service` is missing or empty")]
    EmptyService {
        /// Position in `service_strategies`.
        index: usize,
    },
    /// Two entries for one service.
    #[error("service {0:?} has more than one entry in service_strategies")]
    DuplicateService(String),
    /// A rate-limiting operation strategy (Jaeger's per-operation strategies carry only a
    /// probability; Jaeger drops such entries with a warning).
    #[error("{entry}: operation {operation:?}: only `probabilistic` is supported per operation")]
    RateLimitedOperation {
        /// `default_strategy` or `service "NAME"`.
        entry: String,
        /// The operation.
        operation: String,
    },
    /// A `param` that is not a finite number in range.
    #[error("{entry}: param {param} is out of range ({expected})")]
    Param {
        /// `default_strategy`, `service "NAME"` or `... operation "OP"`.
        entry: String,
        /// The value given.
        param: f64,
        /// What is allowed.
        expected: &'static str,
    },
    /// The resolved strategy does not build a sampler.
    #[error("{entry}: {error}")]
    Strategy {
        /// `default_strategy` or `service "NAME"`.
        entry: String,
        /// Why.
        error: StrategyError,
    },
}

/// Every service's response, resolved from one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    default: SamplingStrategyResponse,
    default_configured: bool,
    services: HashMap<String, SamplingStrategyResponse>,
}

impl Resolved {
    /// What `service` gets, Jaeger's way (its entry, else the default).
    pub fn for_service(&self, service: &str) -> &SamplingStrategyResponse {
        self.services.get(service).unwrap_or(&self.default)
    }

    /// What `service` gets, or `None` when only the built-in fallback (probabilistic 0.001)
    /// would apply: no entry and no `default_strategy`. Sidecars then keep their own
    /// configured default.
    pub fn configured_for(&self, service: &str) -> Option<&SamplingStrategyResponse> {
        match self.services.get(service) {
            Some(strategy) => Some(strategy),
            None if self.default_configured => Some(&self.default),
            None => None,
        }
    }
}

/// Validates `document` whole and resolves every service.
pub fn resolve(document: &StrategiesDocument) -> Result<Resolved, ValidationError> {
    let mut default = SamplingStrategyResponse::probabilistic(JAEGER_DEFAULT_PROBABILITY);
    if let Some(entry) = &document.default_strategy {
        default = service_response(entry, "default_strategy")?;
        check_builds(&default, "default_strategy")?;
    }
    let mut services = HashMap::with_capacity(document.service_strategies.len());
    for (index, entry) in document.service_strategies.iter().enumerate() {
        if entry.service.is_empty() {
            return Err(ValidationError::EmptyService { index });
        }
        let label = format!("service {:?}", entry.service);
        let mut response = service_response(entry, &label)?;
        inherit_default_operations(&mut response, &default);
        check_builds(&response, &label)?;
        if services.insert(entry.service.clone(), response).is_some() {
            return Err(ValidationError::DuplicateService(entry.service.clone()));
        }
    }
    Ok(Resolved {
        default,
        default_configured: document.default_strategy.is_some(),
        services,
    })
}

/// Validates one entry as a document holding only it would be (used before a `PUT`).
pub fn validate_entry(entry: &ServiceEntry) -> Result<(), ValidationError> {
    let label = format!("service {:?}", entry.service);
    check_builds(&service_response(entry, &label)?, &label)
}

fn check_builds(response: &SamplingStrategyResponse, entry: &str) -> Result<(), ValidationError> {
    HeadSampler::from_strategy(response)
        .map(drop)
        .map_err(|error| ValidationError::Strategy {
            entry: entry.to_owned(),
            error,
        })
}

/// `parseServiceStrategies`: the entry's own strategy plus its operation strategies.
fn service_response(
    entry: &ServiceEntry,
    label: &str,
) -> Result<SamplingStrategyResponse, ValidationError> {
    let mut response = top_level(entry.kind, entry.param, label)?;
    if entry.operation_strategies.is_empty() {
        return Ok(response);
    }
    let default_sampling_probability = match entry.kind {
        StrategyKind::Probabilistic => entry.param,
        StrategyKind::Ratelimiting => JAEGER_DEFAULT_PROBABILITY,
    };
    let per_operation_strategies = entry
        .operation_strategies
        .iter()
        .map(|op| {
            let op_label = format!("{label} operation {:?}", op.operation);
            match op.kind {
                StrategyKind::Ratelimiting => Err(ValidationError::RateLimitedOperation {
                    entry: label.to_owned(),
                    operation: op.operation.clone(),
                }),
                StrategyKind::Probabilistic => Ok(OperationStrategy {
                    operation: op.operation.clone(),
                    probabilistic_sampling: ProbabilisticStrategy {
                        sampling_rate: probability(op.param, &op_label)?,
                    },
                }),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    response.operation_sampling = Some(PerOperationStrategies {
        default_sampling_probability,
        default_lower_bound_traces_per_second: 0.0,
        per_operation_strategies,
        default_upper_bound_traces_per_second: None,
    });
    Ok(response)
}

/// `parseStrategy`: `ratelimiting` params are truncated to an `int32`, as Jaeger does.
fn top_level(
    kind: StrategyKind,
    param: f64,
    label: &str,
) -> Result<SamplingStrategyResponse, ValidationError> {
    match kind {
        StrategyKind::Probabilistic => Ok(SamplingStrategyResponse::probabilistic(probability(
            param, label,
        )?)),
        StrategyKind::Ratelimiting => {
            if !(param.is_finite() && (0.0..=f64::from(i32::MAX)).contains(&param)) {
                return Err(ValidationError::Param {
                    entry: label.to_owned(),
                    param,
                    expected: "traces per second, 0 to 2147483647",
                });
            }
            // In range, checked above: the cast truncates like Go's int32(param).
            Ok(SamplingStrategyResponse::rate_limiting(param as i32))
        }
    }
}

fn probability(param: f64, label: &str) -> Result<f64, ValidationError> {
    if param.is_finite() && (0.0..=1.0).contains(&param) {
        Ok(param)
    } else {
        Err(ValidationError::Param {
            entry: label.to_owned(),
            param,
            expected: "a probability, 0 to 1",
        })
    }
}

/// The second half of `parseStrategies`: services inherit the default's operations.
fn inherit_default_operations(
    response: &mut SamplingStrategyResponse,
    default: &SamplingStrategyResponse,
) {
    let Some(defaults) = &default.operation_sampling else {
        return;
    };
    match &mut response.operation_sampling {
        None => {
            let mut copy = defaults.clone();
            if let Some(own) = response.probabilistic_sampling {
                copy.default_sampling_probability = own.sampling_rate;
            }
            response.operation_sampling = Some(copy);
        }
        Some(own) => {
            // `mergePerOperationSamplingStrategies`: the service's operations win.
            let missing: Vec<_> = defaults
                .per_operation_strategies
                .iter()
                .filter(|d| {
                    !own.per_operation_strategies
                        .iter()
                        .any(|o| o.operation == d.operation)
                })
                .cloned()
                .collect();
            own.per_operation_strategies.extend(missing);
        }
    }
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
