//! Assembles a sidecar from its config: binds every listener first (so a bad address fails
//! before anything runs), then starts the exporter and the accept loops.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;
use sampler::Propagation;
use sampler::strategy::SamplingStrategyResponse;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::Endpoint;
use tower::service_fn;

use crate::admin;
use crate::config::{ConfigError, ConfigView, SidecarConfig};
use crate::export::{ExporterHandle, spawn_exporter};
use crate::listener::{Capture, serve};
use crate::metrics::RedMetrics;
use crate::proxy::{Destination, ProxyStack, Shared, upstream_client};
use crate::remote;
use crate::sampling::SamplingControl;
use crate::stats::Stats;
use crate::trace::{Direction, Routes, Tracer, kv};
use crate::workers::{WorkerListener, bind_group, spawn_worker};

/// Environment variables (Kubernetes downward API) copied onto the span resource.
const RESOURCE_ENV: &[(&str, &str)] = &[
    ("POD_NAME", "k8s.pod.name"),
    ("POD_NAMESPACE", "k8s.namespace.name"),
    ("NODE_NAME", "k8s.node.name"),
];

/// Why a sidecar could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A listener could not bind.
    #[error("cannot listen on {addr} ({name}): {source}")]
    Bind {
        /// Which listener.
        name: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The `--control` URL cannot be used.
    #[error(transparent)]
    Remote(#[from] remote::RemoteError),
    /// A worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Worker(std::io::Error),
    /// The latency histograms could not be created.
    #[error("cannot create latency histograms: {0}")]
    Metrics(hdrhistogram::CreationError),
}

/// A started sidecar.
#[derive(Debug)]
pub struct RunningSidecar {
    /// Bound inbound address.
    pub inbound: SocketAddr,
    /// Bound outbound address.
    pub outbound: SocketAddr,
    /// Bound admin address.
    pub admin: SocketAddr,
    /// Bound readiness address.
    pub health: SocketAddr,
    /// Bound Prometheus address.
    pub metrics: SocketAddr,
    stats: Arc<Stats>,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    remote: Option<JoinHandle<()>>,
    exporter: ExporterHandle,
}

async fn bind(
    name: &'static str,
    addr: SocketAddr,
) -> Result<(TcpListener, SocketAddr), StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { name, addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { name, addr, source })?;
    Ok((listener, local))
}

fn resource(service: &str, extra: &[(String, String)]) -> Resource {
    let string = |key: &str, value: String| kv(key, Value::StringValue(value));
    let mut attributes = vec![string("service.name", service.to_owned())];
    attributes.extend(
        RESOURCE_ENV
            .iter()
            .filter_map(|(env, key)| std::env::var(env).ok().map(|v| string(key, v))),
    );
    attributes.extend(extra.iter().map(|(k, v)| string(k, v.clone())));
    Resource {
        attributes,
        ..Resource::default()
    }
}

/// Starts a sidecar; returns once every listener is bound.
pub async fn start(config: SidecarConfig) -> Result<RunningSidecar, StartError> {
    let endpoint = config.validate()?;
    let endpoint = Endpoint::from_shared(endpoint)
        .map_err(|_| ConfigError::Collector(config.collector.clone()))?;
    let sampling = Arc::new(
        SamplingControl::new(SamplingStrategyResponse::probabilistic(
            config.sampling_probability,
        ))
        .map_err(|_| ConfigError::Probability(config.sampling_probability))?,
    );
    let app = Destination::fixed(config.app).map_err(|_| ConfigError::App(config.app))?;

    let workers = config.concurrency.max(1);
    let inbound = bind_group(config.inbound, workers)
        .await
        .map_err(|e| StartError::Bind {
            name: "inbound",
            addr: config.inbound,
            source: e.0,
        })?;
    let outbound = bind_group(config.outbound, workers)
        .await
        .map_err(|e| StartError::Bind {
            name: "outbound",
            addr: config.outbound,
            source: e.0,
        })?;
    let (inbound_addr, outbound_addr) = (inbound.addr, outbound.addr);
    let (admin_listener, admin_addr) = bind("admin", config.admin).await?;
    let (health, health_addr) = bind("health", config.health).await?;
    let (metrics_listener, metrics_addr) = bind("metrics", config.metrics).await?;
    let red = Arc::new(RedMetrics::new().map_err(StartError::Metrics)?);

    let stats = Arc::new(Stats::default());
    let (sink, exporter) = spawn_exporter(
        endpoint,
        resource(&config.service, &config.resource),
        config.export.clone(),
        stats.clone(),
    );
    let tracer = Arc::new(Tracer::new(
        Propagation::new(config.propagation.clone()),
        sampling.clone(),
        sink,
        stats.clone(),
        Routes::new(config.routes.clone()),
    ));
    let outbound_destination = if config.transparent {
        Destination::Original
    } else {
        Destination::FromRequest
    };
    // In transparent mode both proxy listeners sit behind iptables REDIRECT.
    let capture = |tcp_target| match config.transparent {
        true => Capture::Transparent {
            tcp_target,
            stats: stats.clone(),
        },
        false => Capture::Explicit,
    };
    let (stop, shutdown) = watch::channel(false);
    // The collector pushes strategy changes over a long-poll (on this runtime, not a worker's).
    let remote = config
        .control
        .as_deref()
        .map(|url| {
            remote::spawn_remote_sampling(
                url,
                &config.service,
                Arc::clone(&sampling),
                shutdown.clone(),
            )
        })
        .transpose()?;
    let admin_state = Arc::new(admin::AdminState {
        stats: stats.clone(),
        sampling,
        config: ConfigView::from(&config),
    });
    let metrics_stats = stats.clone();
    let mut workers_joined = Vec::with_capacity(workers);
    let sockets = inbound
        .into_sockets()
        .into_iter()
        .zip(outbound.into_sockets());
    for (index, (inbound_socket, outbound_socket)) in sockets.enumerate() {
        // Each worker gets its own upstream pools, as Envoy's workers do.
        let shared = Shared {
            client: upstream_client(config.connect_timeout, config.upstream_idle_timeout),
            tracer: tracer.clone(),
            stats: stats.clone(),
            red: red.clone(),
            timeout: config.upstream_timeout,
        };
        let listeners = vec![
            WorkerListener {
                socket: inbound_socket,
                capture: capture(Some(config.app)),
                stack: ProxyStack::new(Direction::Inbound, app.clone(), shared.clone()),
            },
            WorkerListener {
                socket: outbound_socket,
                capture: capture(None),
                stack: ProxyStack::new(Direction::Outbound, outbound_destination.clone(), shared),
            },
        ];
        workers_joined
            .push(spawn_worker(index, listeners, shutdown.clone()).map_err(StartError::Worker)?);
    }
    let listeners = vec![
        tokio::spawn(serve(
            admin_listener,
            shutdown.clone(),
            Capture::Explicit,
            move |_| {
                let state = admin_state.clone();
                service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(admin::admin(req, &state).await) }
                })
            },
        )),
        tokio::spawn(serve(
            metrics_listener,
            shutdown.clone(),
            Capture::Explicit,
            move |_| {
                let (red, stats) = (red.clone(), metrics_stats.clone());
                service_fn(move |req| {
                    let response = admin::prometheus(&req, &red, &stats);
                    async move { Ok::<_, Infallible>(response) }
                })
            },
        )),
        tokio::spawn(serve(health, shutdown, Capture::Explicit, |_| {
            service_fn(|req| {
                let response = admin::health(&req);
                async move { Ok::<_, Infallible>(response) }
            })
        })),
    ];
    tracing::info!(service = %config.service, %inbound_addr, %outbound_addr, app = %config.app, "sidecar started");
    Ok(RunningSidecar {
        inbound: inbound_addr,
        outbound: outbound_addr,
        admin: admin_addr,
        health: health_addr,
        metrics: metrics_addr,
        stats,
        stop,
        listeners,
        workers: workers_joined,
        remote,
        exporter,
    })
}

impl RunningSidecar {
    /// The sidecar's counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Stops accepting, then sends every span recorded so far.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for listener in self.listeners {
            let _ = listener.await;
        }
        if let Some(remote) = self.remote {
            let _ = remote.await;
        }
        for worker in self.workers {
            let _ = tokio::task::spawn_blocking(move || worker.join()).await;
        }
        self.exporter.flush_and_stop().await;
    }
}
