//! Head-sampled traffic with a known latency distribution and request count: the weighted
//! estimates must stay within 3% (rate) and 5% (p50, p99) of the truth at 10% and 1%.

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use sampler::Threshold;

use super::*;

/// splitmix64: a deterministic, dependency-free source of uniform numbers.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1e6
}

#[test]
fn estimates_from_sampled_traffic_match_the_truth() {
    const REQUESTS: usize = 1_000_000;
    const SECONDS: f64 = 100.0;
    let mut rng = Rng(42);
    // 1 ms plus an exponential with a 20 ms mean: p50 ~ 14.9 ms, p99 ~ 93 ms.
    let latencies: Vec<u64> = (0..REQUESTS)
        .map(|_| 1_000 + (-20_000.0 * (1.0 - rng.next_f64()).ln()) as u64)
        .collect();
    let mut sorted = latencies.clone();
    sorted.sort_unstable();
    let (true_p50, true_p99) = (quantile(&sorted, 0.5), quantile(&sorted, 0.99));
    for p in [0.1, 0.01] {
        let threshold = Threshold::from_probability(p).unwrap();
        let trace_state = format!("ot=th:{threshold}");
        let (a, start) = aggregator(AggregateConfig::default());
        let kept: Vec<StoredSpan> = latencies
            .iter()
            .filter(|_| rng.next_f64() < threshold.probability())
            .map(|&micros| {
                let mut s = span("api", "GET /", SpanKind::Server, micros);
                s.trace_state = trace_state.clone();
                s
            })
            .collect();
        a.observe_batch(&kept, start);
        let now = start + Duration::from_secs_f64(SECONDS);
        let s = summary(&a, None, Window::All, now);
        let rate_error = (s.rate - REQUESTS as f64 / SECONDS).abs() / (REQUESTS as f64 / SECONDS);
        assert!(rate_error < 0.03, "p={p}: rate {} ({rate_error})", s.rate);
        let pct = s.percentiles.unwrap();
        for (got, truth, name) in [(pct.p50, true_p50, "p50"), (pct.p99, true_p99, "p99")] {
            let error = (got - truth).abs() / truth;
            assert!(error < 0.05, "p={p}: {name} {got} vs {truth} ({error})");
        }
    }
}
