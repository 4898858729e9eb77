//! The adaptive loop's state: sampled root spans counted per service and operation as they
//! arrive, and at each interval the next per-operation probabilities, as the strategy-file
//! entry the store applies (and pushes to sidecars).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use serde::Deserialize;

use super::calculate::{AdaptiveConfig, PerOperation, next_probabilities};
use crate::store::StoredSpan;
use crate::strategy::{OperationEntry, ServiceEntry, StrategyKind};

/// Config key `adaptive`: which services are sampled adaptively, at what target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdaptiveSettings {
    /// Service -> sampled traces per second wanted for each of its operations.
    pub services: BTreeMap<String, f64>,
    /// Seconds between recalculations (Jaeger: 60).
    pub interval_secs: u64,
    /// The calculation's tuning (its `target_traces_per_second` is set per service).
    pub tuning: AdaptiveConfig,
}

impl Default for AdaptiveSettings {
    fn default() -> Self {
        Self {
            services: BTreeMap::new(),
            interval_secs: 60,
            tuning: AdaptiveConfig::default(),
        }
    }
}

/// Counts and probabilities of the adaptively sampled services.
#[derive(Debug)]
pub struct AdaptiveController {
    settings: AdaptiveSettings,
    /// Sampled root spans this interval, per service and operation.
    counts: Mutex<HashMap<String, HashMap<String, u64>>>,
    /// The probabilities last pushed, per service.
    current: Mutex<BTreeMap<String, PerOperation>>,
}

impl AdaptiveController {
    /// A controller for `settings`.
    pub fn new(settings: AdaptiveSettings) -> Self {
        Self {
            settings,
            counts: Mutex::new(HashMap::new()),
            current: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether any service is sampled adaptively.
    pub fn is_active(&self) -> bool {
        !self.settings.services.is_empty()
    }

    /// The interval between recalculations.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.settings.interval_secs.max(1))
    }

    /// Counts the sampled traces among `spans`: root spans of adaptively sampled services
    /// (each is one trace whose head decision was made at that service).
    pub fn observe(&self, spans: &[StoredSpan]) {
        if !self.is_active() {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for span in spans.iter().filter(|s| s.parent_span_id.is_none()) {
            if self.settings.services.contains_key(&*span.service) {
                let per_operation = counts.entry(span.service.to_string()).or_default();
                *per_operation.entry(span.name.clone()).or_default() += 1;
            }
        }
    }

    /// Closes an interval of `elapsed_secs`: the entries whose probabilities changed.
    pub fn tick(&self, elapsed_secs: f64) -> Vec<ServiceEntry> {
        let counts =
            std::mem::take(&mut *self.counts.lock().unwrap_or_else(PoisonError::into_inner));
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changed = Vec::new();
        for (service, target) in &self.settings.services {
            let config = AdaptiveConfig {
                target_traces_per_second: *target,
                ..self.settings.tuning
            };
            let observed: PerOperation = counts
                .get(service)
                .into_iter()
                .flatten()
                .map(|(op, n)| (op.clone(), *n as f64 / elapsed_secs.max(1e-3)))
                .collect();
            let before = current.get(service).cloned().unwrap_or_default();
            let next = next_probabilities(&observed, &before, &config);
            if next != before {
                changed.push(ServiceEntry {
                    service: service.clone(),
                    kind: StrategyKind::Probabilistic,
                    param: config.initial_probability,
                    operation_strategies: next
                        .iter()
                        .map(|(operation, p)| OperationEntry {
                            operation: operation.clone(),
                            kind: StrategyKind::Probabilistic,
                            param: *p,
                        })
                        .collect(),
                });
                current.insert(service.clone(), next);
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::stored;

    fn controller() -> AdaptiveController {
        AdaptiveController::new(AdaptiveSettings {
            services: BTreeMap::from([("shop".to_owned(), 10.0)]),
            interval_secs: 60,
            tuning: AdaptiveConfig {
                initial_probability: 1.0,
                ..AdaptiveConfig::default()
            },
        })
    }

    /// One interval of `qps` true requests per second of `GET /buy`, sampled at the
    /// controller's current probability, as the collector would receive it.
    fn interval(control: &AdaptiveController, qps: f64, p: f64) {
        let sampled = (qps * 60.0 * p).round() as u64;
        let spans: Vec<_> = (0..sampled)
            .map(|i| stored(u128::from(i) + 1, 1, None, "shop", "GET /buy"))
            .collect();
        control.observe(&spans);
    }

    #[test]
    fn a_traffic_step_converges_to_the_target() {
        let control = controller();
        let mut p = 1.0;
        let mut history = Vec::new();
        for qps in [10.0; 3].into_iter().chain([1000.0; 6]) {
            interval(&control, qps, p);
            if let Some(entry) = control.tick(60.0).into_iter().next() {
                p = entry.operation_strategies[0].param;
            }
            history.push((qps, p, qps * p));
        }
        // At 10 req/s the target (10 traces/s) needs everything; after the step to 1000 req/s
        // the sampled rate is back within the tolerance of the target within a few intervals.
        assert_eq!(history[2].1, 1.0, "{history:?}");
        let (_, p_end, sampled_end) = history[history.len() - 1];
        assert!((sampled_end - 10.0).abs() / 10.0 < 0.3, "{history:?}");
        assert!((p_end - 0.01).abs() < 0.005, "{history:?}");
        let settled = history
            .iter()
            .skip(3)
            .position(|(_, _, s)| (s - 10.0).abs() / 10.0 < 0.3);
        assert!(settled.is_some_and(|i| i <= 3), "{history:?}");
    }

    #[test]
    fn other_services_and_child_spans_are_not_counted() {
        let control = controller();
        control.observe(&[
            stored(1, 2, Some(1), "shop", "GET /buy"),
            stored(2, 1, None, "other", "GET /x"),
        ]);
        assert!(control.counts.lock().unwrap().is_empty());
    }
}
