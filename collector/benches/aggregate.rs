//! Cost per span of the aggregation (`Aggregator::observe*`): latency series plus service
//! graph, on a realistic mix of 200 series, half client/half server spans.

// Criterion's macros generate undocumented items; a bench is not public API.
#![allow(missing_docs)]
// Setup failures in a bench may panic: it is not shipped code.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use collector::StoredSpan;
use collector::aggregate::{AdjustedCount, AggregateConfig, Aggregator};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tokio::time::Instant;

const BATCH: usize = 1024;

/// `BATCH` spans over 20 services x 10 operations, latencies spread 100 us .. 400 ms.
fn spans(trace_state: &str) -> Vec<StoredSpan> {
    let services: Vec<Arc<str>> = (0..20).map(|i| Arc::from(format!("service-{i}"))).collect();
    (0..BATCH)
        .map(|i| {
            let n = i as u64;
            let micros = 100 + (n * 7919) % 400_000;
            let mut trace_id = [0u8; 16];
            trace_id[..8].copy_from_slice(&(n / 2).to_le_bytes());
            trace_id[15] = (n / 2) as u8;
            let client = i % 2 == 0;
            StoredSpan {
                trace_id,
                span_id: (n + 1).to_le_bytes(),
                parent_span_id: (!client).then(|| n.to_le_bytes()),
                trace_state: trace_state.to_owned(),
                name: format!("GET /api/v1/resource-{}", i % 10),
                kind: if client {
                    SpanKind::Client
                } else {
                    SpanKind::Server
                },
                start_unix_nano: 1_700_000_000_000_000_000,
                end_unix_nano: 1_700_000_000_000_000_000 + micros * 1000,
                service: Arc::clone(&services[i % services.len()]),
                resource: Arc::from(Vec::new()),
                attributes: Vec::new(),
                status: Default::default(),
                events: Vec::new(),
            }
        })
        .collect()
}

fn config(shards: usize) -> AggregateConfig {
    AggregateConfig {
        shards,
        ..AggregateConfig::default()
    }
}

fn single_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("aggregate");
    group.throughput(Throughput::Elements(BATCH as u64));
    let start = Instant::now();
    let plain = spans("");
    let sampled = spans("ot=th:e6666666666666;rv:f1234567890abc");
    let a = Aggregator::new(&config(16), start).expect("aggregator");
    group.bench_function("observe_weighted", |b| {
        b.iter(|| {
            for s in &plain {
                a.observe_weighted(black_box(s), AdjustedCount::ONE, start);
            }
        })
    });
    group.bench_function("span_metrics_only", |b| {
        b.iter(|| {
            for s in &plain {
                a.span_metrics()
                    .observe(black_box(s), AdjustedCount::ONE, start);
            }
        })
    });
    group.bench_function("graph_only", |b| {
        b.iter(|| {
            for s in &plain {
                a.graph().observe(black_box(s), AdjustedCount::ONE, start);
            }
        })
    });
    group.bench_function("observe/no_th", |b| {
        b.iter(|| plain.iter().for_each(|s| a.observe(black_box(s), start)))
    });
    group.bench_function("observe/th", |b| {
        b.iter(|| sampled.iter().for_each(|s| a.observe(black_box(s), start)))
    });
    let weighted: Vec<(&StoredSpan, AdjustedCount)> =
        plain.iter().map(|s| (s, AdjustedCount::ONE)).collect();
    group.bench_function("observe_weighted_batch", |b| {
        b.iter(|| a.observe_weighted_batch(black_box(&weighted), start))
    });
    group.bench_function("observe_batch/th", |b| {
        b.iter(|| a.observe_batch(black_box(&sampled), start))
    });
    group.finish();
}

/// Two threads observing at once (the collector's two cores), per span: 1 shard vs 16.
fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("aggregate_2_threads");
    group.throughput(Throughput::Elements(2 * BATCH as u64));
    for (shards, batched) in [(1, false), (16, false), (1, true), (16, true)] {
        let start = Instant::now();
        let a = Arc::new(Aggregator::new(&config(shards), start).expect("aggregator"));
        let batch = Arc::new(spans(""));
        let name = if batched {
            "observe_weighted_batch"
        } else {
            "observe_weighted"
        };
        group.bench_function(format!("{name}/shards={shards}"), |b| {
            b.iter_custom(|iters| {
                let began = StdInstant::now();
                let workers: Vec<_> = (0..2)
                    .map(|t| {
                        let (a, batch) = (Arc::clone(&a), Arc::clone(&batch));
                        std::thread::spawn(move || {
                            for _ in 0..iters {
                                // Each thread walks the batch from a different end.
                                let order: Box<dyn Iterator<Item = &StoredSpan>> = if t == 0 {
                                    Box::new(batch.iter())
                                } else {
                                    Box::new(batch.iter().rev())
                                };
                                if batched {
                                    let spans: Vec<(&StoredSpan, AdjustedCount)> =
                                        order.map(|s| (s, AdjustedCount::ONE)).collect();
                                    a.observe_weighted_batch(black_box(&spans), start);
                                } else {
                                    for s in order {
                                        a.observe_weighted(black_box(s), AdjustedCount::ONE, start);
                                    }
                                }
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    let _ = w.join();
                }
                began.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = single_thread, two_threads
}
criterion_main!(benches);
