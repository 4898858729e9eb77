//! Sidecar configuration: plain data, validated once by [`SidecarConfig::validate`].

use std::net::SocketAddr;
use std::time::Duration;

use sampler::Format;

use crate::trace::RouteTemplate;

/// Everything a sidecar needs to start.
#[derive(Debug, Clone)]
pub struct SidecarConfig {
    /// `service.name` of the workload.
    pub service: String,
    /// Where the workload listens (inbound requests are forwarded here).
    pub app: SocketAddr,
    /// Inbound listener (Istio: 15006).
    pub inbound: SocketAddr,
    /// Outbound listener (Istio: 15001).
    pub outbound: SocketAddr,
    /// Admin listener, loopback only (Istio: 15000).
    pub admin: SocketAddr,
    /// Readiness listener (Istio: 15021).
    pub health: SocketAddr,
    /// Prometheus listener, `GET /stats/prometheus` (Istio: 15090).
    pub metrics: SocketAddr,
    /// The collector's OTLP/gRPC endpoint: `grpc://` or `http://` (plaintext).
    pub collector: String,
    /// The collector's `--http` address for strategy updates (`http://HOST:16686`); without
    /// it the sidecar keeps `sampling_probability`.
    pub control: Option<String>,
    /// Head-sampling probability for traces this sidecar starts.
    pub sampling_probability: f64,
    /// Formats injected into forwarded requests.
    pub propagation: Vec<Format>,
    /// Worker threads serving the proxy listeners (Envoy's `--concurrency`): each accepts on
    /// its own `SO_REUSEPORT` socket and keeps its connections. Default: the number of cores.
    pub concurrency: usize,
    /// Longest wait for an upstream's response headers (Envoy's route timeout is 15 s); on
    /// expiry the caller gets 504 and the span an error.
    pub upstream_timeout: Duration,
    /// Longest wait for a TCP connection to an upstream.
    pub connect_timeout: Duration,
    /// How long an upstream connection may wait unused in a worker's pool before it is closed
    /// (hyper-util's client default, 90 s); zero reuses none.
    pub upstream_idle_timeout: Duration,
    /// Behind iptables `REDIRECT` (`meshtrace iptables`): outbound requests go to their original
    /// destination, and connections that are not HTTP pass through as plain TCP.
    pub transparent: bool,
    /// Route templates (`/reviews/{id}`), first match wins: a request on one carries
    /// `http.route` and its span is named `"{METHOD} {template}"`.
    pub routes: Vec<RouteTemplate>,
    /// Extra resource attributes on every span (e.g. `service.version`).
    pub resource: Vec<(String, String)>,
    /// Span export tuning.
    pub export: ExportConfig,
}

/// How spans leave the sidecar.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// Finished spans waiting for export; when full, new spans are dropped and counted.
    pub queue_capacity: usize,
    /// Spans per OTLP request.
    pub max_batch: usize,
    /// Longest a finished span waits before its batch is sent.
    pub flush_interval: Duration,
    /// Deadline of one export call.
    pub timeout: Duration,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 8192,
            max_batch: 512,
            flush_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
        }
    }
}

impl SidecarConfig {
    /// Istio's port numbers around a workload at `app`.
    pub fn new(service: impl Into<String>, app: SocketAddr) -> Self {
        Self {
            service: service.into(),
            app,
            inbound: SocketAddr::from(([0, 0, 0, 0], 15006)),
            outbound: SocketAddr::from(([127, 0, 0, 1], 15001)),
            admin: SocketAddr::from(([127, 0, 0, 1], 15000)),
            health: SocketAddr::from(([0, 0, 0, 0], 15021)),
            metrics: SocketAddr::from(([0, 0, 0, 0], 15090)),
            collector: "grpc://127.0.0.1:4317".into(),
            control: None,
            sampling_probability: 1.0,
            propagation: vec![Format::W3c, Format::B3Multi],
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            upstream_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            upstream_idle_timeout: Duration::from_secs(90),
            transparent: false,
            routes: Vec::new(),
            resource: Vec::new(),
            export: ExportConfig::default(),
        }
    }

    /// Checks the values that can be wrong; returns the collector endpoint as tonic wants it.
    pub fn validate(&self) -> Result<String, ConfigError> {
        if self.service.is_empty() {
            return Err(ConfigError::EmptyService);
        }
        if !(0.0..=1.0).contains(&self.sampling_probability) {
            return Err(ConfigError::Probability(self.sampling_probability));
        }
        if self.concurrency == 0 {
            return Err(ConfigError::Concurrency);
        }
        if !self.admin.ip().is_loopback() {
            return Err(ConfigError::AdminNotLoopback(self.admin));
        }
        collector_endpoint(&self.collector)
    }
}

/// The configuration in force, as `GET /config` on the admin listener shows it (like Envoy's
/// `/config_dump`): addresses and URLs as text, durations in milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConfigView {
    service: String,
    app: String,
    inbound: String,
    outbound: String,
    admin: String,
    health: String,
    metrics: String,
    collector: String,
    control: Option<String>,
    sampling_probability: f64,
    propagation: Vec<&'static str>,
    concurrency: usize,
    upstream_timeout_ms: u128,
    connect_timeout_ms: u128,
    upstream_idle_timeout_ms: u128,
    transparent: bool,
    routes: Vec<String>,
    resource: Vec<(String, String)>,
    export: ExportView,
}

/// [`ExportConfig`] in [`ConfigView`].
#[derive(Debug, Clone, serde::Serialize)]
struct ExportView {
    queue_capacity: usize,
    max_batch: usize,
    flush_interval_ms: u128,
    timeout_ms: u128,
}

impl From<&SidecarConfig> for ConfigView {
    fn from(c: &SidecarConfig) -> Self {
        Self {
            service: c.service.clone(),
            app: c.app.to_string(),
            inbound: c.inbound.to_string(),
            outbound: c.outbound.to_string(),
            admin: c.admin.to_string(),
            health: c.health.to_string(),
            metrics: c.metrics.to_string(),
            collector: c.collector.clone(),
            control: c.control.clone(),
            sampling_probability: c.sampling_probability,
            propagation: c.propagation.iter().map(|f| f.as_str()).collect(),
            concurrency: c.concurrency,
            upstream_timeout_ms: c.upstream_timeout.as_millis(),
            connect_timeout_ms: c.connect_timeout.as_millis(),
            upstream_idle_timeout_ms: c.upstream_idle_timeout.as_millis(),
            transparent: c.transparent,
            routes: c.routes.iter().map(|r| r.as_str().to_owned()).collect(),
            resource: c.resource.clone(),
            export: ExportView {
                queue_capacity: c.export.queue_capacity,
                max_batch: c.export.max_batch,
                flush_interval_ms: c.export.flush_interval.as_millis(),
                timeout_ms: c.export.timeout.as_millis(),
            },
        }
    }
}

/// Maps `grpc://` and `http://` to the plaintext URI tonic dials.
fn collector_endpoint(url: &str) -> Result<String, ConfigError> {
    if let Some(rest) = url
        .strip_prefix("grpc://")
        .or_else(|| url.strip_prefix("http://"))
    {
        if rest.is_empty() {
            return Err(ConfigError::Collector(url.to_owned()));
        }
        return Ok(format!("http://{rest}"));
    }
    if url.starts_with("https://") {
        return Err(ConfigError::CollectorTls(url.to_owned()));
    }
    Err(ConfigError::Collector(url.to_owned()))
}

/// A configuration value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// `--service` was empty.
    #[error("--service must not be empty")]
    EmptyService,
    /// The probability is outside `[0, 1]`.
    #[error("--sampling-probability must be within 0..=1, got {0}")]
    Probability(f64),
    /// No worker threads.
    #[error("--concurrency must be at least 1")]
    Concurrency,
    /// The workload address cannot be used as an HTTP authority.
    #[error("--app {0}: not usable as an HTTP destination")]
    App(SocketAddr),
    /// The admin listener would be reachable from outside the pod.
    #[error("--admin must be a loopback address, got {0}")]
    AdminNotLoopback(SocketAddr),
    /// The collector URL has no usable scheme or host.
    #[error("--collector {0:?}: expected grpc://HOST:PORT or http://HOST:PORT")]
    Collector(String),
    /// TLS to the collector is not built yet.
    #[error("--collector {0:?}: TLS (https://) to the collector is not supported yet")]
    CollectorTls(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let mut c = SidecarConfig::new("svc", SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(c.validate(), Ok("http://127.0.0.1:4317".into()));
        c.collector = "http://collector:4317".into();
        assert_eq!(c.validate(), Ok("http://collector:4317".into()));
        c.collector = "collector:4317".into();
        assert!(matches!(c.validate(), Err(ConfigError::Collector(_))));
        c.collector = "grpc://c:1".into();
        c.sampling_probability = 2.0;
        assert_eq!(c.validate(), Err(ConfigError::Probability(2.0)));
        c.sampling_probability = 1.0;
        c.admin = SocketAddr::from(([0, 0, 0, 0], 15000));
        assert!(matches!(
            c.validate(),
            Err(ConfigError::AdminNotLoopback(_))
        ));
    }
}
