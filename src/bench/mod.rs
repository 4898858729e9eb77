//! `meshtrace bench collector`: a load generator that sends realistic traces over OTLP/gRPC
//! and reports spans/s, the collector's CPU and peak RSS.
//!
//! Without `--target` the bench runs the whole path: an in-process OTLP sink (`sink`) as the
//! export backend, a `meshtrace collector` child exporting to it (`child`), and the senders
//! (`load`) over a pool of pre-encoded requests (`traces`). Figures come from the senders'
//! and the sink's counters and the child's `/proc` entries (`procfs`); `report` prints them.
//! With `--target URL --sink ADDR --target-pid PID` another collector (one that exports to
//! `ADDR`) is measured the same way, so two collectors can be compared side by side.

mod child;
mod load;
mod own;
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
use load::{LoadCounters, Plan};
use own::{Own, OwnFigures};
use report::Report;

/// Most requests built before the run; a run cycles through them (with new trace ids).
const POOL_REQUESTS: usize = 64;
/// Longest time spent building them.
const POOL_BUDGET: Duration = Duration::from_secs(3);
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
    let (own, url) = match (&args.target, args.sink, args.target_pid) {
        (None, _, _) => {
            let (own, url) = Own::start(args.passthrough).await?;
            (Some(own), url)
        }
        (Some(target), Some(sink), Some(pid)) => {
            (Some(Own::external(sink, pid).await?), target.clone())
        }
        (Some(target), _, _) => (None, target.clone()),
    };
    let channels = load::connect(&url, args.connections).await?;
    eprintln!(
        "bench: {} requests of {} spans pooled; loading {url} for {}",
        pool.templates.len(),
        args.batch,
        humantime::format_duration(args.duration)
    );

    let own_cpu_before = procfs::cpu_time(std::process::id())?;
    let counters = Arc::new(LoadCounters::default());
    let plan = Plan {
        duration: args.duration,
        rate: args.rate.filter(|r| *r > 0),
    };
    let started = Instant::now();
    load::run(channels, pool.clone(), plan, counters.clone()).await;
    let load_time = started.elapsed();
    let accepted = counters.spans_accepted.load(Ordering::Relaxed);
    let figures = match own {
        Some(own) => Some(own.finish(accepted).await?),
        None => None,
    };
    let run = Run {
        plan,
        started,
        load_time,
        bench_cpu: procfs::cpu_time(std::process::id())?.saturating_sub(own_cpu_before),
    };
    let report = report(&args, &pool, &counters, &run, figures);
    if args.json {
        outln!("{}", report.json());
    } else {
        outln!("{}", report.table().trim_end());
    }
    Ok(())
}

/// When and how the load ran.
struct Run {
    plan: Plan,
    started: Instant,
    load_time: Duration,
    /// This process's CPU time over the load and drain.
    bench_cpu: Duration,
}

/// The report of a run: the senders' counters, and the sink's and child's figures when the
/// bench ran its own.
fn report(
    args: &BenchCollectorArgs,
    pool: &traces::Pool,
    counters: &LoadCounters,
    run: &Run,
    own: Option<OwnFigures>,
) -> Report {
    let count = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let accepted = count(&counters.spans_accepted);
    let spans_per_sec = match &own {
        Some(own) => {
            let until = own.last.map_or(run.load_time, |l| l - run.started);
            per_sec(own.received, until)
        }
        None => per_sec(accepted, run.load_time),
    };
    let cpu_secs = own.map(|o| o.cpu.as_secs_f64());
    Report {
        target: args.target.clone().unwrap_or_else(|| "spawned".to_owned()),
        pipeline: match (&args.target, args.passthrough) {
            (Some(_), _) => None,
            (None, true) => Some("passthrough"),
            (None, false) => Some("default"),
        },
        duration_secs: run.load_time.as_secs_f64(),
        rate: run.plan.rate,
        connections: args.connections,
        batch: pool.spans_per_request,
        request_bytes: pool.templates.first().map_or(0, |t| t.len()),
        requests: count(&counters.requests),
        spans_sent: count(&counters.spans_sent),
        spans_accepted: accepted,
        spans_received: own.map(|o| o.received),
        refused_unavailable: count(&counters.refused_unavailable),
        refused_resource_exhausted: count(&counters.refused_exhausted),
        failed: count(&counters.failed),
        first_error: counters.first_error.lock().ok().and_then(|e| e.clone()),
        spans_per_sec,
        collector_cpu_secs: cpu_secs,
        spans_per_cpu_sec: own
            .filter(|o| !o.cpu.is_zero())
            .map(|o| o.received as f64 / o.cpu.as_secs_f64()),
        collector_peak_rss_bytes: own.map(|o| o.peak_rss),
        bench_cpu_secs: run.bench_cpu.as_secs_f64(),
        collector_export_dropped: own.and_then(|o| o.undelivered).map(|u| u.dropped),
        collector_export_failed: own.and_then(|o| o.undelivered).map(|u| u.failed),
    }
}

fn per_sec(count: u64, over: Duration) -> f64 {
    let secs = over.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}
