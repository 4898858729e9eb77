use sampler::HeadSampler;

use super::*;

fn config() -> AdaptiveConfig {
    AdaptiveConfig::default()
}

#[test]
fn one_step_table() {
    #[rustfmt::skip]
    let cases = [
        // (current, observed/s, next)
        (0.1,    1.0,   0.1),     // on target
        (0.1,    1.25,  0.1),     // within 30 %
        (0.1,    0.75,  0.1),
        (0.1,    10.0,  0.01),    // too many: cut at once, uncapped
        (0.1,    0.5,   0.15),    // too few: at most +50 % per interval
        (0.1,    0.6,   0.15),
        (0.1,    0.68,  0.1 / 0.68), // +47 %: under the cap
        (0.1,    0.0,   0.2),     // nothing sampled: double
        (0.8,    0.1,   1.0),     // never above 1
        (1e-5,   100.0, 1e-5),    // never below the minimum
    ];
    for (current, observed, want) in cases {
        let got = next_probability(current, observed, &config());
        assert!(
            (got - want).abs() < 1e-12,
            "{current} {observed}: {got} != {want}"
        );
    }
    let zero_target = AdaptiveConfig {
        target_traces_per_second: 0.0,
        ..config()
    };
    assert_eq!(next_probability(0.5, 3.0, &zero_target), 1e-5);
}

#[test]
fn new_operations_start_from_the_initial_probability_and_idle_ones_keep_theirs() {
    let current = PerOperation::from([("idle".to_owned(), 0.3), ("busy".to_owned(), 0.5)]);
    let observed = PerOperation::from([("busy".to_owned(), 50.0), ("new".to_owned(), 0.0)]);
    let next = next_probabilities(&observed, &current, &config());
    assert_eq!(next["idle"], 0.3);
    assert!((next["busy"] - 0.01).abs() < 1e-12);
    assert!((next["new"] - 0.002).abs() < 1e-12);

    let strategy = to_strategy(&next, &config());
    let ops = strategy.operation_sampling.as_ref().unwrap();
    assert_eq!(ops.per_operation_strategies.len(), 3);
    assert_eq!(ops.default_sampling_probability, 0.001);
    assert!((ops.default_lower_bound_traces_per_second - 1.0 / 60.0).abs() < 1e-12);
    assert!(HeadSampler::from_strategy(&strategy).is_ok());
}

/// Traffic steps from 10 to 1000 requests/s; the sampled rate (expected value) converges to
/// the target of 1 trace/s within a few intervals of each regime.
#[test]
fn converges_after_a_traffic_step() {
    let config = config();
    let mut probabilities = PerOperation::new();
    let mut run = |requests_per_second: f64, intervals: usize| -> Vec<f64> {
        (0..intervals)
            .map(|_| {
                let p = probabilities
                    .get("GET /")
                    .copied()
                    .unwrap_or(config.initial_probability);
                let sampled = requests_per_second * p;
                let observed = PerOperation::from([("GET /".to_owned(), sampled)]);
                probabilities = next_probabilities(&observed, &probabilities, &config);
                sampled
            })
            .collect()
    };
    let within = |rate: f64| (rate - 1.0).abs() / 1.0 < config.delta_tolerance;

    // From 0.001 at 10 req/s, +50 % per interval: 0.1 is reached in about 12 intervals.
    let slow = run(10.0, 20);
    let first = slow.iter().position(|r| within(*r)).unwrap();
    assert!(first <= 12, "{slow:?}");
    assert!(slow[first..].iter().all(|r| within(*r)), "{slow:?}");

    // The step to 1000 req/s samples 100/s for one interval, then is back on target.
    let fast = run(1000.0, 6);
    assert!(fast[0] > 50.0, "{fast:?}");
    assert!(fast[1..].iter().all(|r| within(*r)), "{fast:?}");
}
