//! `meshtrace demo`: the whole pipeline on one machine. A collector, the Bookinfo-like
//! workloads each behind its own sidecar (real sockets, real OTLP), and a load generator;
//! progress while it runs and a summary at the end.

mod apps;
mod load;
mod mesh;
mod summary;

use std::sync::Arc;
use std::time::{Duration, Instant};

use collector::CollectorConfig;
use tokio::sync::watch;

use crate::cli::DemoArgs;
use crate::commands::shutdown_signal;
use load::LoadStats;

/// The demo's tail policies: every error, every slow trace, a tenth of the rest.
const POLICIES: &str = include_str!("policies.yaml");

/// How often the progress line is updated on a terminal, and printed into a log or pipe.
const PROGRESS_TERMINAL: Duration = Duration::from_secs(1);
const PROGRESS_LOG: Duration = Duration::from_secs(5);

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The collector could not start (usually: the `--http` port is taken).
    #[error("{0}")]
    Collector(#[from] collector::StartError),
    /// A sidecar could not start.
    #[error("{0}")]
    Sidecar(#[from] proxy_integration::StartError),
    /// The embedded tail policies do not parse (a build defect).
    #[error("embedded tail policies: {0}")]
    Policies(String),
    /// A workload could not listen.
    #[error("cannot start the {0} workload: {1}")]
    App(&'static str, std::io::Error),
}

/// Runs the demo until `--duration` passes or Ctrl-C, then prints the summary.
pub async fn run(args: DemoArgs) -> Result<(), DemoError> {
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let tail_sampling =
        serde_yaml_ng::from_str(POLICIES).map_err(|e| DemoError::Policies(e.to_string()))?;
    let collector = collector::start(CollectorConfig {
        otlp_grpc: loopback,
        otlp_http: loopback,
        zipkin: loopback,
        sampling_http: loopback,
        sampling_grpc: loopback,
        http: args.http,
        exporters: args.export.iter().cloned().map(Into::into).collect(),
        tail_sampling,
        ..CollectorConfig::default()
    })
    .await?;
    let tail = collector.tail_counters().clone();
    let aggregator = collector.aggregator().clone();
    let store = collector.store();
    let mesh = mesh::Mesh::start(collector.otlp_grpc_addr(), collector.http_addr()).await?;
    let http = collector.http_addr();
    crate::listening::announce("demo", "http", http);
    summary::print_banner(http, collector.otlp_grpc_addr(), mesh.entry, &args);

    let stats = Arc::new(LoadStats::default());
    let (stop, stopped) = watch::channel(false);
    let load = tokio::spawn(load::run(mesh.entry, args.rps, stats.clone(), stopped));
    let started = Instant::now();
    let mut progress = {
        use std::io::IsTerminal as _;
        let every = if std::io::stdout().is_terminal() {
            PROGRESS_TERMINAL
        } else {
            PROGRESS_LOG
        };
        tokio::time::interval_at(tokio::time::Instant::now() + every, every)
    };
    let deadline = async {
        match args.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = shutdown_signal() => break,
            _ = progress.tick() => summary::print_progress(started.elapsed(), &stats, &store.stats(), &tail),
        }
    }

    let _ = stop.send(true);
    let _ = load.await;
    mesh.shutdown().await;
    collector.shutdown().await;
    let report = summary::Report {
        elapsed: started.elapsed(),
        load: &stats,
        store: &store.stats(),
        tail: &tail,
        interesting: summary::interesting_traces(&store),
        services: summary::per_service(&aggregator, &store),
        http,
    };
    report.print();
    Ok(())
}
