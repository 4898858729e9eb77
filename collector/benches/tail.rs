//! Tail sampling end to end: OTLP export requests as a sidecar sends them are decoded and
//! converted (receive), buffered and decided by a realistic policy set (tail), and what is
//! kept is grouped back into OTLP and encoded (export), with the binary's allocator
//! (mimalloc; glibc malloc is several times slower here). Time is the measuring threads' own
//! CPU time (`/proc/thread-self/schedstat`), so the figures are per core even on a shared
//! machine; wall time where that file is missing.

// Criterion's macros generate undocumented items; a bench is not public API.
#![allow(missing_docs)]
// Setup failures in a bench may panic: it is not shipped code.
#![allow(clippy::expect_used)]

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use collector::export::to_resource_spans;
use collector::receiver::otlp::convert_request;
use collector::tail::{TailCounters, TailLimits, TailShards};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use support::{REQUEST_INTERVAL, SPANS_PER_REQUEST, policies, receive, requests};
use tokio::time::Instant;

/// The allocator the `meshtrace` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time this thread has run, when the kernel tells.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Measures `work` by this thread's CPU time, or by wall time.
fn timed(work: impl FnOnce()) -> Duration {
    let (cpu, wall) = (thread_cpu(), StdInstant::now());
    work();
    match (cpu, thread_cpu()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall.elapsed(),
    }
}

/// The receive step alone (decode and convert, then drop), for comparison.
fn receive_only(c: &mut Criterion) {
    let requests = requests();
    let mut group = c.benchmark_group("tail");
    group.throughput(Throughput::Elements(SPANS_PER_REQUEST as u64));
    let mut n = 0usize;
    group.bench_function("receive_only", |b| {
        b.iter_custom(|iters| {
            timed(|| {
                for _ in 0..iters {
                    black_box(convert_request(receive(&requests, n)).spans);
                    n += 1;
                }
            })
        })
    });
    group.finish();
}

fn receive_tail_export(c: &mut Criterion) {
    let requests = requests();
    let mut group = c.benchmark_group("tail");
    group.throughput(Throughput::Elements(SPANS_PER_REQUEST as u64));
    let counters = Arc::new(TailCounters::default());
    let mut tail = TailShards::new(policies(), TailLimits::default(), counters.clone(), 1);
    let start = Instant::now();
    let mut n = 0usize;
    let mut exported = 0usize;
    group.bench_function("receive_tail_export/1_shard", |b| {
        b.iter_custom(|iters| {
            let mut kept = Vec::new();
            timed(|| {
                for _ in 0..iters {
                    let now = start + REQUEST_INTERVAL * n as u32;
                    let spans = convert_request(receive(&requests, n)).spans;
                    tail.accept(spans, now, &mut kept);
                    if !kept.is_empty() {
                        let request = ExportTraceServiceRequest {
                            resource_spans: to_resource_spans(&kept),
                        };
                        exported += black_box(request.encode_to_vec()).len();
                        kept.clear();
                    }
                    n += 1;
                }
            })
        })
    });
    group.finish();
    let kept = TailCounters::get(&counters.traces_kept);
    let dropped = TailCounters::get(&counters.traces_dropped);
    println!(
        "tail: {n} requests, traces kept {kept}, dropped {dropped} ({:.1}% kept), \
         {exported} bytes exported, by policy {:?}",
        100.0 * kept as f64 / (kept + dropped).max(1) as f64,
        counters.kept_by_policy(),
    );
}

/// The same on two threads, each with its own shard and its own traces (the drain's
/// routing hop is left out), sharing the policy set, its rate limiter and the counters as
/// the collector's shard tasks do.
fn two_shards(c: &mut Criterion) {
    let requests = requests();
    let mut group = c.benchmark_group("tail");
    group.throughput(Throughput::Elements(2 * SPANS_PER_REQUEST as u64));
    let counters = Arc::new(TailCounters::default());
    let mut shards = TailShards::new(policies(), TailLimits::default(), counters, 2).into_shards();
    let start = Instant::now();
    let mut done = 0usize;
    group.bench_function("receive_tail_export/2_shards_2_threads", |b| {
        b.iter_custom(|iters| {
            let cpu: Duration = std::thread::scope(|scope| {
                let workers: Vec<_> = shards
                    .iter_mut()
                    .enumerate()
                    .map(|(t, shard)| {
                        let requests = &requests;
                        scope.spawn(move || {
                            let mut kept = Vec::new();
                            timed(|| {
                                for i in 0..iters as usize {
                                    let k = done + i;
                                    let now = start + REQUEST_INTERVAL * k as u32;
                                    let spans = convert_request(receive(requests, 2 * k + t)).spans;
                                    shard.accept(spans, now, &mut kept);
                                    if !kept.is_empty() {
                                        let request = ExportTraceServiceRequest {
                                            resource_spans: to_resource_spans(&kept),
                                        };
                                        black_box(request.encode_to_vec());
                                        kept.clear();
                                    }
                                }
                            })
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap_or_default())
                    .sum()
            });
            done += iters as usize;
            // Both threads' CPU time over the two cores: time per core for 2 x 512 spans.
            cpu / 2
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(2));
    targets = receive_only, receive_tail_export, two_shards
}
criterion_main!(benches);
