//! `meshtrace bench collector`: a load generator that sends realistic traces over OTLP/gRPC
//! and reports spans/s, the collector's CPU and peak RSS.
//!
//! Without `--target` the bench runs the whole path: an in-process OTLP sink (`sink`) as the
//! export backend, a `meshtrace collector` child exporting to it (`child`), and the senders
//! (`load`) over a pool of pre-encoded requests (`traces`). Figures come from the senders'
//! and the sink's counters and the child's `/proc` entries (`procfs`); `report` prints them.

mod child;
mod load;
mod procfs;
mod report;
mod scrape;
mod sink;
mod traces;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use crate::cli::{BenchArgs, BenchCollectorArgs, BenchTarget};
use child::CollectorChild;
use load::{LoadCounters, Plan};
use report::Report;

/// Most requests built before the run; a run cycles through them (with new trace ids).
const POOL_REQUESTS: usize = 64;
/// Longest time spent building them.
const POOL_BUDGET: Duration = Duration::from_secs(3);
/// After the load, how long the sink may receive nothing before the run is over.
const DRAIN_IDLE: Duration = Duration::from_secs(3);
/// After the load, the longest wait for the sink to catch up.
const DRAIN_MAX: Duration = Duration::from_secs(30);

/// Why a bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The in-process OTLP sink could not listen.
    #[error("cannot start the OTLP sink: {0}")]
    Sink(std::io::Error),
    /// The collector child did not start.
    #[error("{0}")]
    Child(#[from] child::ChildError),
    /// The target cannot be loaded.
    #[error("{0}")]
    Connect(#[from] load::ConnectError),
    /// The collector child's CPU or memory could not be read.
    #[error("cannot measure the collector: {0}")]
    Measure(#[from] procfs::ProcError),
    /// Building the request pool failed (a panic in the builder: a defect).
    #[error("building the request pool failed: {0}")]
    Pool(tokio::task::JoinError),
}

/// Runs one bench and prints its report.
pub async fn run(args: BenchArgs) -> Result<(), BenchError> {
    match args.target {
        BenchTarget::Collector(args) => collector(args).await,
    }
}

/// The collector bench: sink and child unless `--target`, load, drain, figures.
async fn collector(args: BenchCollectorArgs) -> Result<(), BenchError> {
    let batch = args.batch as usize;
    let pool = tokio::task::spawn_blocking(move || traces::pool(batch, POOL_REQUESTS, POOL_BUDGET))
        .await
        .map_err(BenchError::Pool)?;
    let pool = Arc::new(pool);
    let (sink, child, url) = match &args.target {
        Some(target) => (None, None, target.clone()),
        None => {
            let sink = sink::start().await.map_err(BenchError::Sink)?;
            let child = CollectorChild::start(&format!("grpc://{}", sink.addr)).await?;
            let url = format!("grpc://{}", child.otlp_grpc);
            (Some(sink), Some(child), url)
        }
    };
    let channels = load::connect(&url, args.connections).await?;
    let cpu_before = child
        .as_ref()
        .map(|c| procfs::cpu_time(c.pid))
        .transpose()?;
    let own_cpu_before = procfs::cpu_time(std::process::id())?;

    let rate = args.rate.filter(|r| *r > 0);
    eprintln!(
        "bench: {} requests of {} spans pooled; loading {url} for {}",
        pool.templates.len(),
        args.batch,
        humantime::format_duration(args.duration)
    );
    let counters = Arc::new(LoadCounters::default());
    let started = Instant::now();
    let plan = Plan {
        duration: args.duration,
        rate,
    };
    load::run(channels, pool.clone(), plan, counters.clone()).await;
    let load_time = started.elapsed();
    let accepted = counters.spans_accepted.load(Ordering::Relaxed);
    if let Some(sink) = &sink {
        drain(&sink.counters, accepted).await;
    }

    let collector_cpu = match (&child, cpu_before) {
        (Some(child), Some(before)) => Some(procfs::cpu_time(child.pid)?.saturating_sub(before)),
        _ => None,
    };
    let own_cpu = procfs::cpu_time(std::process::id())?.saturating_sub(own_cpu_before);
    let undelivered = match &child {
        Some(child) => scrape::undelivered(child.http).await,
        None => None,
    };
    let peak_rss = child
        .as_ref()
        .map(|c| procfs::peak_rss(c.pid))
        .transpose()?;
    if let Some(child) = child {
        child.stop().await;
    }

    let received = sink.as_ref().map(|s| s.counters.spans());
    let spans_per_sec = match &sink {
        Some(sink) => {
            let until = sink.counters.last().map_or(load_time, |l| l - started);
            per_sec(received.unwrap_or(0), until)
        }
        None => per_sec(accepted, load_time),
    };
    let cpu_secs = collector_cpu.map(|c| c.as_secs_f64());
    let report = Report {
        target: args.target.clone().unwrap_or_else(|| "spawned".to_owned()),
        duration_secs: load_time.as_secs_f64(),
        rate,
        connections: args.connections,
        batch: pool.spans_per_request,
        request_bytes: pool.templates.first().map_or(0, |t| t.len()),
        requests: counters.requests.load(Ordering::Relaxed),
        spans_sent: counters.spans_sent.load(Ordering::Relaxed),
        spans_accepted: accepted,
        spans_received: received,
        refused_unavailable: counters.refused_unavailable.load(Ordering::Relaxed),
        refused_resource_exhausted: counters.refused_exhausted.load(Ordering::Relaxed),
        failed: counters.failed.load(Ordering::Relaxed),
        first_error: counters.first_error.lock().ok().and_then(|e| e.clone()),
        spans_per_sec,
        collector_cpu_secs: cpu_secs,
        spans_per_cpu_sec: cpu_secs
            .zip(received)
            .filter(|(cpu, _)| *cpu > 0.0)
            .map(|(cpu, spans)| spans as f64 / cpu),
        collector_peak_rss_bytes: peak_rss,
        bench_cpu_secs: own_cpu.as_secs_f64(),
        collector_export_dropped: undelivered.map(|u| u.dropped),
        collector_export_failed: undelivered.map(|u| u.failed),
    };
    if args.json {
        outln!("{}", report.json());
    } else {
        outln!("{}", report.table().trim_end());
    }
    Ok(())
}

/// Waits until the sink has `accepted` spans, or has received nothing for [`DRAIN_IDLE`],
/// or [`DRAIN_MAX`] has passed.
async fn drain(sink: &sink::SinkCounters, accepted: u64) {
    let deadline = Instant::now() + DRAIN_MAX;
    let mut last_count = sink.spans();
    let mut last_change = Instant::now();
    while sink.spans() < accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = sink.spans();
        if now != last_count {
            last_count = now;
            last_change = Instant::now();
        } else if last_change.elapsed() >= DRAIN_IDLE {
            break;
        }
    }
}

fn per_sec(count: u64, over: Duration) -> f64 {
    let secs = over.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}
