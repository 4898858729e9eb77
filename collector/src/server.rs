//! Starting and stopping a whole collector: bind the listeners, spawn the OTLP/gRPC server,
//! the HTTP servers (OTLP/HTTP, Zipkin, query API) and the pipeline drain, and shut them down
//! in order.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;

use axum::Router;

use crate::adaptive::AdaptiveController;
use crate::aggregate::{AggregateError, Aggregator};
use crate::config::{CollectorConfig, ConfigError};
use crate::control;
use crate::export::{self, ExportCounters, ExporterHandle};
use crate::metrics::{
    self, MetricsState, PipelineSnapshot, PipelineSource, StoreGauges, TailGauges,
};
use crate::pipeline::memory::{self, MemoryLimiter};
use crate::pipeline::{IngestCounters, Pipeline};
use crate::query;
use crate::receiver::{OtlpGrpcReceiver, otlp_http_router, zipkin};
use crate::sampling_api::{self, SamplingManagerService};
use crate::store::{DiskError, TraceStore};
use crate::strategy::{self, StoreError, StoreOptions, StrategyStore};
use crate::tail;
use crate::tail::{TailCounters, TailShards};
use arc_swap::ArcSwap;
use sampler::tail::TailPolicySet;

/// Why the collector could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration has an unusable value.
    #[error("invalid collector config: {0}")]
    Config(#[from] ConfigError),
    /// A listener could not be bound (address in use, not permitted, not local, ...).
    #[error("cannot listen for {listener} on {addr}: {error}")]
    Bind {
        /// Which listener, e.g. `OTLP/gRPC`.
        listener: &'static str,
        /// The configured address.
        addr: SocketAddr,
        /// The operating system's answer.
        error: io::Error,
    },
    /// The tail policy file cannot be used.
    #[error("tail policies: {0}")]
    TailPolicies(#[from] tail::file::PolicyFileError),
    /// The aggregator cannot be built.
    #[error("latency aggregation: {0}")]
    Aggregate(#[from] AggregateError),
    /// The on-disk trace store cannot be opened.
    #[error("trace store: {0}")]
    Store(#[from] DiskError),
    /// The strategies file or the persisted strategies cannot be loaded.
    #[error("sampling strategies: {0}")]
    Strategies(#[from] StoreError),
    /// An exporter's persistent queue cannot be opened.
    #[error("exporter queue: {0}")]
    ExportQueue(#[from] export::persist::OpenError),
}

/// Longest [`RunningCollector::shutdown`] waits for exporters to send what they hold.
pub const EXPORT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest [`RunningCollector::shutdown`] waits for the on-disk store to write what it holds.
pub const STORE_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// A started collector. Dropping it stops the servers without waiting; prefer
/// [`RunningCollector::shutdown`], which also stores every accepted span.
#[derive(Debug)]
pub struct RunningCollector {
    otlp_grpc_addr: SocketAddr,
    otlp_http_addr: SocketAddr,
    zipkin_addr: SocketAddr,
    http_addr: SocketAddr,
    store: Arc<TraceStore>,
    counters: Arc<IngestCounters>,
    stop_servers: watch::Sender<bool>,
    stop_drain: oneshot::Sender<()>,
    grpc: JoinHandle<Result<(), tonic::transport::Error>>,
    /// The axum servers, named for logs.
    http_servers: Vec<(&'static str, JoinHandle<io::Result<()>>)>,
    drain: JoinHandle<()>,
    exporters: Vec<ExporterHandle>,
    tail_policies: Arc<ArcSwap<TailPolicySet>>,
    tail_counters: Arc<TailCounters>,
    sampling_http_addr: SocketAddr,
    sampling_grpc_addr: SocketAddr,
    strategies: Arc<StrategyStore>,
    aggregator: Arc<Aggregator>,
    sampling_grpc: JoinHandle<Result<(), tonic::transport::Error>>,
    strategies_watcher: Option<JoinHandle<()>>,
    adaptive_task: Option<JoinHandle<()>>,
    policy_watcher: Option<JoinHandle<()>>,
    memory_checks: Option<JoinHandle<()>>,
}

/// Binds every listener, then spawns the servers and the pipeline drain.
pub async fn start(config: CollectorConfig) -> Result<RunningCollector, StartError> {
    config.validate()?;
    let exporter_configs = config.exporter_configs()?;
    let (policy_set, policy_file) = match &config.tail_policies {
        Some(path) => {
            let (set, hash) = tail::file::load(path)?;
            (set, Some((path.clone(), hash)))
        }
        None => (config.tail_policy_set()?, None),
    };
    let tail_policies = Arc::new(ArcSwap::from_pointee(policy_set));
    let tail_counters = Arc::new(TailCounters::default());
    let (grpc_listener, otlp_grpc_addr) = bind("OTLP/gRPC", config.otlp_grpc).await?;
    let (otlp_http_listener, otlp_http_addr) = bind("OTLP/HTTP", config.otlp_http).await?;
    let (zipkin_listener, zipkin_addr) = bind("Zipkin", config.zipkin).await?;
    let (http_listener, http_addr) = bind("HTTP", config.http).await?;
    let (sampling_http_listener, sampling_http_addr) =
        bind("sampling HTTP", config.sampling_http).await?;
    let (sampling_grpc_listener, sampling_grpc_addr) =
        bind("sampling gRPC", config.sampling_grpc).await?;
    let strategies = Arc::new(StrategyStore::open(StoreOptions {
        strategies_file: config.strategies.clone(),
        data_dir: config.data_dir.clone(),
    })?);

    // Pass-through keeps no traces: the query API answers from an empty store.
    let store = Arc::new(match config.store_dir()? {
        Some(dir) if !config.passthrough => TraceStore::open_disk(&dir, &config.store)?,
        _ => TraceStore::with_retention(config.store.clone(), config.store.retention),
    });
    let (pipeline, drain) = Pipeline::bounded(config.pipeline_capacity);
    let memory = Arc::new(MemoryLimiter::default());
    let persistent = exporter_configs.iter().any(|e| e.persist.is_some());
    let fsync = exporter_configs
        .iter()
        .any(|e| e.persist.as_ref().is_some_and(|p| p.fsync));
    // Spans waiting for a tail decision are journaled when queues persist under data_dir.
    let journal = match (&config.data_dir, persistent) {
        (Some(dir), true) => Some(journal::open(dir, fsync)?),
        _ => None,
    };
    let pipeline = pipeline
        .carrying_otlp(!exporter_configs.is_empty())
        .persisting(persistent)
        .passing_through(config.passthrough)
        .with_tail_policies(Arc::clone(&tail_policies))
        .with_memory_limiter(Arc::clone(&memory));
    let (queues, exporters): (Vec<_>, Vec<_>) = exporter_configs
        .into_iter()
        .map(export::spawn)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let pipeline = pipeline.with_export_pressure(queues.clone());
    let tail = TailShards::new(
        Arc::clone(&tail_policies),
        config.tail_buffer.limits(),
        Arc::clone(&tail_counters),
        config.tail_buffer.shard_count(),
    );
    let adaptive = Arc::new(AdaptiveController::new(config.adaptive.clone()));
    let aggregator = Arc::new(Aggregator::new(
        &config.aggregate,
        tokio::time::Instant::now(),
    )?);
    let drain = match journal {
        Some((journal, replay)) => drain.with_journal(journal, replay),
        None => drain,
    };
    let drain = drain
        .with_exporters(queues)
        .with_tail(tail)
        .with_group_commit(fsync);
    let drain = if config.passthrough {
        drain.without_store()
    } else {
        drain
            .with_aggregator(Arc::clone(&aggregator))
            .with_adaptive(Arc::clone(&adaptive))
    };
    let (stop_drain, drain_stopped) = oneshot::channel::<()>();
    let drain = tokio::spawn(drain.run(Arc::clone(&store), async {
        // A dropped sender means the handle is gone: stop as well.
        let _ = drain_stopped.await;
    }));

    let (stop_servers, stop_rx) = watch::channel(false);
    let counters = Arc::clone(pipeline.counters());
    let limit = config.max_request_bytes;
    let metrics_state = MetricsState {
        aggregator: Arc::clone(&aggregator),
        pipeline: Some(pipeline_source(
            Arc::clone(pipeline.counters()),
            exporters
                .iter()
                .map(|e| (e.url().to_owned(), e.counters()))
                .collect(),
            Arc::clone(&store),
            Arc::clone(&tail_counters),
        )),
    };
    let token = config
        .admin_token
        .as_ref()
        .and_then(|t| control::AdminToken::new(&t.0));
    let control_state = control::ControlState::new(Arc::clone(&strategies), token)
        .with_shutdown(stop_rx.clone())
        .with_tail(Arc::clone(&tail_policies));
    let http_servers = vec![
        (
            "OTLP/HTTP",
            serve(
                otlp_http_listener,
                otlp_http_router(pipeline.clone(), limit),
                &stop_rx,
            ),
        ),
        (
            "Zipkin",
            serve(
                zipkin_listener,
                zipkin::router(pipeline.clone(), limit),
                &stop_rx,
            ),
        ),
        (
            "HTTP",
            serve(
                http_listener,
                query::router(Arc::clone(&store))
                    .merge(control::router(control_state))
                    .merge(metrics::router(metrics_state))
                    .merge(crate::ui::router()),
                &stop_rx,
            ),
        ),
        (
            "sampling HTTP",
            serve(
                sampling_http_listener,
                sampling_api::router(Arc::clone(&strategies)),
                &stop_rx,
            ),
        ),
    ];
    let sampling_grpc = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(SamplingManagerService::new(Arc::clone(&strategies)))
            .serve_with_incoming_shutdown(
                TcpListenerStream::new(sampling_grpc_listener),
                stopped(stop_rx.clone()),
            ),
    );
    let adaptive_task = adaptive.is_active().then(|| {
        tokio::spawn(run_adaptive(
            Arc::clone(&adaptive),
            Arc::clone(&strategies),
            stop_rx.clone(),
        ))
    });
    let memory_checks = memory::spawn(
        config.memory_limiter,
        memory,
        metrics::resident_memory_bytes,
        stop_rx.clone(),
    );
    let policy_watcher = policy_file.map(|(path, hash)| {
        tail::file::spawn_watcher(path, hash, Arc::clone(&tail_policies), stop_rx.clone())
    });
    let strategies_watcher = strategy::spawn_file_watcher(
        Arc::clone(&strategies),
        strategy::FILE_POLL_INTERVAL,
        stop_rx.clone(),
    );
    let grpc_service = OtlpGrpcReceiver::new(pipeline).into_service(limit);
    let grpc = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(grpc_service)
            .serve_with_incoming_shutdown(TcpListenerStream::new(grpc_listener), stopped(stop_rx)),
    );
    tracing::info!(%otlp_grpc_addr, %otlp_http_addr, %zipkin_addr, %http_addr, "collector started");

    Ok(RunningCollector {
        otlp_grpc_addr,
        otlp_http_addr,
        zipkin_addr,
        http_addr,
        store,
        counters,
        stop_servers,
        stop_drain,
        grpc,
        http_servers,
        drain,
        exporters,
        tail_policies,
        tail_counters,
        sampling_http_addr,
        sampling_grpc_addr,
        strategies,
        aggregator,
        sampling_grpc,
        strategies_watcher,
        adaptive_task,
        policy_watcher,
        memory_checks,
    })
}

impl RunningCollector {
    /// The tail policy set in force; storing a new set replaces it for every trace decided
    /// from then on.
    pub fn tail_policies(&self) -> &Arc<ArcSwap<TailPolicySet>> {
        &self.tail_policies
    }

    /// The bound Jaeger remote sampling HTTP address.
    pub fn sampling_http_addr(&self) -> SocketAddr {
        self.sampling_http_addr
    }

    /// The bound Jaeger remote sampling gRPC address.
    pub fn sampling_grpc_addr(&self) -> SocketAddr {
        self.sampling_grpc_addr
    }

    /// The RED aggregation every received span feeds.
    pub fn aggregator(&self) -> &Arc<Aggregator> {
        &self.aggregator
    }

    /// The head-sampling strategies the collector serves.
    pub fn strategies(&self) -> &Arc<StrategyStore> {
        &self.strategies
    }

    /// What tail sampling has done.
    pub fn tail_counters(&self) -> &Arc<TailCounters> {
        &self.tail_counters
    }

    /// The bound OTLP/gRPC address (the real port when configured with port 0).
    pub fn otlp_grpc_addr(&self) -> SocketAddr {
        self.otlp_grpc_addr
    }

    /// The bound OTLP/HTTP address (the real port when configured with port 0).
    pub fn otlp_http_addr(&self) -> SocketAddr {
        self.otlp_http_addr
    }

    /// The bound Zipkin address (the real port when configured with port 0).
    pub fn zipkin_addr(&self) -> SocketAddr {
        self.zipkin_addr
    }

    /// What every receiver accepted and refused so far.
    pub fn ingest_counters(&self) -> Arc<IngestCounters> {
        Arc::clone(&self.counters)
    }

    /// The bound HTTP address (the real port when configured with port 0).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Each exporter's URL and counters, in configuration order.
    pub fn export_counters(&self) -> Vec<(String, Arc<ExportCounters>)> {
        self.exporters
            .iter()
            .map(|e| (e.url().to_owned(), e.counters()))
            .collect()
    }

    /// The trace store, for in-process readers.
    pub fn store(&self) -> Arc<TraceStore> {
        Arc::clone(&self.store)
    }

    /// Stops accepting, lets in-flight requests finish, stores every accepted span, gives
    /// exporters up to [`EXPORT_FLUSH_TIMEOUT`] to send what they hold, and waits for all
    /// tasks.
    pub async fn shutdown(self) {
        // Receivers are gone only once every server has returned, so no span can be
        // accepted after the drain stops.
        let _ = self.stop_servers.send(true);
        match self.grpc.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "OTLP/gRPC server ended with an error"),
            Err(error) => tracing::warn!(%error, "OTLP/gRPC server task failed"),
        }
        if let Ok(Err(error)) = self.sampling_grpc.await {
            tracing::warn!(%error, "sampling gRPC server ended with an error");
        }
        if let Some(watcher) = self.strategies_watcher {
            let _ = watcher.await;
        }
        if let Some(checks) = self.memory_checks {
            let _ = checks.await;
        }
        if let Some(watcher) = self.policy_watcher {
            let _ = watcher.await;
        }
        if let Some(adaptive) = self.adaptive_task {
            let _ = adaptive.await;
        }
        for (name, server) in self.http_servers {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "{name} server ended with an error"),
                Err(error) => tracing::warn!(%error, "{name} server task failed"),
            }
        }
        let _ = self.stop_drain.send(());
        if let Err(error) = self.drain.await {
            tracing::warn!(%error, "pipeline drain task failed");
        }
        // An on-disk store writes on its own thread: wait for what the drain handed it.
        let store = Arc::clone(&self.store);
        let flushed = tokio::task::spawn_blocking(move || store.flush(STORE_FLUSH_TIMEOUT)).await;
        if !matches!(flushed, Ok(true)) {
            tracing::warn!("trace store: not every span was written before stopping");
        }
        // The drain owned the exporters' queues; with it gone they flush and stop.
        let deadline = tokio::time::Instant::now() + EXPORT_FLUSH_TIMEOUT;
        for exporter in self.exporters {
            exporter.shutdown(deadline).await;
        }
        tracing::info!("collector stopped");
    }
}

async fn bind(
    listener: &'static str,
    addr: SocketAddr,
) -> Result<(TcpListener, SocketAddr), StartError> {
    let bind_error = |error| StartError::Bind {
        listener,
        addr,
        error,
    };
    let socket = TcpListener::bind(addr).await.map_err(bind_error)?;
    let local = socket.local_addr().map_err(bind_error)?;
    Ok((socket, local))
}

/// Spawns an axum server on `listener` that stops gracefully with `stop`.
fn serve(
    listener: TcpListener,
    router: Router,
    stop: &watch::Receiver<bool>,
) -> JoinHandle<io::Result<()>> {
    let stop = stopped(stop.clone());
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
    })
}

/// Completes when `stop` turns true or its sender is dropped.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

mod journal;
#[cfg(test)]
mod tests;

/// What `/metrics` reads of the pipeline at each scrape.
fn pipeline_source(
    ingest: Arc<IngestCounters>,
    exporters: Vec<(String, Arc<ExportCounters>)>,
    store: Arc<TraceStore>,
    tail: Arc<TailCounters>,
) -> PipelineSource {
    Arc::new(move || {
        let stats = store.stats();
        PipelineSnapshot {
            receivers: ingest.samples(),
            exporters: exporters
                .iter()
                .map(|(url, c)| (url.clone(), c.snapshot()))
                .collect(),
            store: Some(StoreGauges {
                traces: stats.traces as u64,
                spans: stats.spans as u64,
                evicted_traces: stats.evicted_traces,
                dropped_spans: stats.dropped_spans,
            }),
            tail: Some(TailGauges {
                kept_by_policy: tail.kept_by_policy().into_iter().collect(),
                traces_dropped: TailCounters::get(&tail.traces_dropped),
                traces_decided_early: TailCounters::get(&tail.traces_decided_early),
                late_spans_kept: TailCounters::get(&tail.late_spans_kept),
                late_spans_dropped: TailCounters::get(&tail.late_spans_dropped),
                traces_buffered: TailCounters::get(&tail.traces_buffered),
                spans_buffered: TailCounters::get(&tail.spans_buffered),
                bytes_buffered: TailCounters::get(&tail.bytes_buffered),
            }),
        }
    })
}

/// Every adaptive interval: the next probabilities, applied through the strategy store (which
/// persists them and wakes every sidecar's long-poll).
async fn run_adaptive(
    adaptive: Arc<AdaptiveController>,
    strategies: Arc<StrategyStore>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(adaptive.interval());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    let mut last = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = tokio::time::Instant::now();
        let entries = adaptive.tick(now.duration_since(last).as_secs_f64());
        last = now;
        for entry in entries {
            let store = Arc::clone(&strategies);
            let service = entry.service.clone();
            let applied = tokio::task::spawn_blocking(move || {
                store.put_service(entry, &strategy::ChangeOrigin::Adaptive)
            })
            .await;
            match applied {
                Ok(Ok(state)) => {
                    tracing::info!(%service, version = state.version, "adaptive sampling updated")
                }
                Ok(Err(error)) => {
                    tracing::warn!(%service, %error, "adaptive sampling update refused")
                }
                Err(error) => tracing::warn!(%service, %error, "adaptive sampling task failed"),
            }
        }
    }
}
