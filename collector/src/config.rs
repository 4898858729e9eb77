//! Collector configuration: plain serde data with every default in one place.
//!
//! The structs deserialize with `deny_unknown_fields`, so a config file with a misspelt key
//! is rejected with a message naming the key. [`CollectorConfig::validate`] checks the values
//! once, before anything starts.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;

use sampler::tail::{TailConfigError, TailPolicyDocument, TailPolicySet};
use serde::Deserialize;

use crate::export::{ExporterConfig, ExporterConfigError, ExporterSettings};

/// Default OTLP/gRPC listen address (`0.0.0.0:4317`).
pub const DEFAULT_OTLP_GRPC_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 4317));
/// Default OTLP/HTTP listen address (`0.0.0.0:4318`).
pub const DEFAULT_OTLP_HTTP_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 4318));
/// Default Zipkin listen address (`0.0.0.0:9411`).
pub const DEFAULT_ZIPKIN_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9411));
/// Default HTTP listen address for the query API and health endpoints (`0.0.0.0:16686`).
pub const DEFAULT_HTTP_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 16686));
/// Default number of traces kept by the in-memory store.
pub const DEFAULT_MAX_TRACES: usize = 10_000;
/// Default number of spans kept per trace.
pub const DEFAULT_MAX_SPANS_PER_TRACE: usize = 1_000;
/// Default capacity of the pipeline channel, in export requests.
pub const DEFAULT_PIPELINE_CAPACITY: usize = 1024;
/// Default limit on one decoded request body (16 MiB).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// Default listen address of Jaeger remote sampling over HTTP.
pub const DEFAULT_SAMPLING_HTTP_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5778));
/// Default listen address of Jaeger remote sampling over gRPC.
pub const DEFAULT_SAMPLING_GRPC_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5779));

/// A secret that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Everything the collector needs to start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectorConfig {
    /// Listen address of the OTLP/gRPC trace receiver.
    pub otlp_grpc: SocketAddr,
    /// Listen address of the OTLP/HTTP trace receiver (`POST /v1/traces`).
    pub otlp_http: SocketAddr,
    /// Listen address of the Zipkin receiver (`POST /api/v2/spans`, v2 JSON and protobuf).
    pub zipkin: SocketAddr,
    /// Listen address of the HTTP server: Jaeger query API, `/healthz`, `/readyz`.
    pub http: SocketAddr,
    /// Bounds of the in-memory trace store.
    pub store: StoreConfig,
    /// How many export requests may wait between the receivers and the store before
    /// receivers answer `UNAVAILABLE`.
    pub pipeline_capacity: usize,
    /// Largest decoded request body a receiver accepts, in bytes.
    pub max_request_bytes: usize,
    /// Backends every accepted span is sent on to: `grpc://HOST:PORT` (OTLP/gRPC) or
    /// `http://HOST:PORT[/PATH]` (OTLP/HTTP protobuf, `/v1/traces` by default), `grpcs://`
    /// and `https://` over TLS; each a bare URL or a map with `url`, `headers`,
    /// `compression` and `tls`. Empty by default: spans are only stored.
    pub exporters: Vec<ExporterSettings>,
    /// Listen address of Jaeger remote sampling over HTTP (`GET /sampling?service=`).
    pub sampling_http: SocketAddr,
    /// Listen address of Jaeger remote sampling over gRPC (`SamplingManager`).
    pub sampling_grpc: SocketAddr,
    /// A Jaeger strategies file, watched for edits (`--strategies`).
    pub strategies: Option<PathBuf>,
    /// Where applied strategies (and later the queue and store) persist; in memory when
    /// absent (`--data-dir`).
    pub data_dir: Option<PathBuf>,
    /// Bearer token the control API's writes require (`--admin-token`,
    /// `MESHTRACE_ADMIN_TOKEN`); writes are open when absent.
    pub admin_token: Option<Secret>,
    /// Serve the control API on a non-loopback `http` address without `admin_token` (anyone
    /// who reaches the port could change sampling). Refused unless set.
    pub insecure_control: bool,
    /// The memory limiter: receivers refuse data (429 / UNAVAILABLE with Retry-After) while
    /// resident memory is above the soft limit. Off by default.
    pub memory_limiter: crate::pipeline::memory::MemoryLimitConfig,
    /// Adaptive sampling: services whose per-operation probabilities the collector computes
    /// from observed traffic to meet a target of sampled traces per second.
    pub adaptive: crate::adaptive::AdaptiveSettings,
    /// Latency aggregation (RED metrics per service, operation, kind and status class, and
    /// the service graph): series cap, windows, pairing.
    pub aggregate: crate::aggregate::AggregateConfig,
    /// A tail policy file (`--tail-policies`), watched: its document replaces `tail_sampling`
    /// at start and on every valid edit.
    pub tail_policies: Option<PathBuf>,
    /// Tail sampling: the OpenTelemetry Collector `tail_sampling` processor's block
    /// (`decision_wait`, `num_traces`, `policies`). No policies (the default) keeps every
    /// trace without buffering.
    pub tail_sampling: TailPolicyDocument,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        Self {
            otlp_grpc: DEFAULT_OTLP_GRPC_ADDR,
            otlp_http: DEFAULT_OTLP_HTTP_ADDR,
            zipkin: DEFAULT_ZIPKIN_ADDR,
            http: DEFAULT_HTTP_ADDR,
            store: StoreConfig::default(),
            pipeline_capacity: DEFAULT_PIPELINE_CAPACITY,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            exporters: Vec::new(),
            tail_sampling: TailPolicyDocument::default(),
            tail_policies: None,
            insecure_control: false,
            adaptive: crate::adaptive::AdaptiveSettings::default(),
            memory_limiter: crate::pipeline::memory::MemoryLimitConfig::default(),
            aggregate: crate::aggregate::AggregateConfig::default(),
            sampling_http: DEFAULT_SAMPLING_HTTP_ADDR,
            sampling_grpc: DEFAULT_SAMPLING_GRPC_ADDR,
            strategies: None,
            data_dir: None,
            admin_token: None,
        }
    }
}

impl CollectorConfig {
    /// The tail policy set the config describes, validated whole.
    pub fn tail_policy_set(&self) -> Result<TailPolicySet, ConfigError> {
        Ok(TailPolicySet::from_document(self.tail_sampling.clone())?)
    }

    /// Checks the values that serde cannot: every bound must be at least one, every
    /// exporter URL must parse and the tail policies must build.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.exporter_configs()?;
        self.tail_policy_set()?;
        self.aggregate.validate()?;
        let checks = [
            ("store.max_traces", self.store.max_traces),
            ("store.max_spans_per_trace", self.store.max_spans_per_trace),
            ("pipeline_capacity", self.pipeline_capacity),
            ("max_request_bytes", self.max_request_bytes),
        ];
        if let Some((key, _)) = checks.into_iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Zero { key });
        }
        if !self.http.ip().is_loopback() && self.admin_token.is_none() && !self.insecure_control {
            return Err(ConfigError::InsecureControl(self.http));
        }
        Ok(())
    }

    /// The exporters, checked (URL, headers, TLS files); the first bad one is named with its
    /// index.
    pub fn exporter_configs(&self) -> Result<Vec<ExporterConfig>, ConfigError> {
        self.exporters
            .iter()
            .enumerate()
            .map(|(index, settings)| {
                ExporterConfig::from_settings(settings)
                    .map_err(|error| ConfigError::Exporter { index, error })
            })
            .collect()
    }
}

/// Bounds of the in-memory trace store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Most traces kept; the oldest trace is evicted to make room for a new one.
    pub max_traces: usize,
    /// Most spans kept per trace; later spans of a full trace are dropped.
    pub max_spans_per_trace: usize,
    /// Byte and age bounds (`store.retention.max_bytes`, `store.retention.max_age_secs`).
    pub retention: crate::store::RetentionConfig,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            max_traces: DEFAULT_MAX_TRACES,
            max_spans_per_trace: DEFAULT_MAX_SPANS_PER_TRACE,
            retention: crate::store::RetentionConfig::default(),
        }
    }
}

/// A configuration value that is well-formed but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A bound that must be at least one is zero.
    #[error("config key `{key}` must be at least 1")]
    Zero {
        /// The dotted config key.
        key: &'static str,
    },
    /// The control API would accept unauthenticated writes from the network.
    #[error(
        "the control API on {0} would accept changes from anyone: set an admin token \
         (--admin-token or MESHTRACE_ADMIN_TOKEN), listen on loopback, or pass --insecure-control"
    )]
    InsecureControl(SocketAddr),
    /// The aggregation settings are invalid.
    #[error("config key `aggregate`: {0}")]
    Aggregate(#[from] crate::aggregate::AggregateConfigError),
    /// The tail sampling policies are invalid.
    #[error("config key `tail_sampling`: {0}")]
    TailSampling(#[from] TailConfigError),
    /// An exporter cannot be used.
    #[error("config key `exporters[{index}]`: {error}")]
    Exporter {
        /// Position in `exporters`.
        index: usize,
        /// What is wrong with its URL, headers or TLS files.
        error: ExporterConfigError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_spec() {
        let config = CollectorConfig::default();
        assert_eq!(config.otlp_grpc.to_string(), "0.0.0.0:4317");
        assert_eq!(config.otlp_http.to_string(), "0.0.0.0:4318");
        assert_eq!(config.zipkin.to_string(), "0.0.0.0:9411");
        assert_eq!(config.http.to_string(), "0.0.0.0:16686");
        assert_eq!(config.store.max_traces, 10_000);
        assert_eq!(config.store.max_spans_per_trace, 1_000);
        assert_eq!(config.pipeline_capacity, 1024);
        // An open control API on every interface needs a token, or an explicit opt-out.
        assert_eq!(
            config.validate(),
            Err(ConfigError::InsecureControl(config.http))
        );
        let with_token = CollectorConfig {
            admin_token: Some(Secret("t".into())),
            ..config.clone()
        };
        assert_eq!(with_token.validate(), Ok(()));
        let opted_out = CollectorConfig {
            insecure_control: true,
            ..config
        };
        assert_eq!(opted_out.validate(), Ok(()));
    }

    #[test]
    fn partial_documents_fill_in_defaults() {
        let config: CollectorConfig =
            serde_json::from_str(r#"{"http":"127.0.0.1:0","store":{"max_traces":5}}"#).unwrap();
        assert_eq!(config.http.to_string(), "127.0.0.1:0");
        assert_eq!(config.store.max_traces, 5);
        assert_eq!(config.store.max_spans_per_trace, 1_000);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = serde_json::from_str::<CollectorConfig>(r#"{"store":{"max_trace":5}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_trace"), "{err}");
    }

    #[test]
    fn exporter_urls_are_validated() {
        let config: CollectorConfig = serde_json::from_str(
            r#"{"exporters":["grpc://127.0.0.1:4317",{"url":"https://b","tls":{"ca_file":"/no/ca.pem"}}]}"#,
        )
        .unwrap();
        let err = config.validate().unwrap_err();
        assert!(
            matches!(err, ConfigError::Exporter { index: 1, .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("exporters[1]"), "{message}");
        assert!(
            message.contains("cannot read tls.ca_file /no/ca.pem"),
            "{message}"
        );

        let config = CollectorConfig {
            exporters: vec![
                ExporterSettings::from_url("grpc://a:1"),
                ExporterSettings::from_url("http://b:2"),
            ],
            insecure_control: true,
            ..CollectorConfig::default()
        };
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.exporter_configs().unwrap().len(), 2);
    }

    #[test]
    fn zero_bounds_are_rejected() {
        let mut config = CollectorConfig::default();
        config.store.max_spans_per_trace = 0;
        assert_eq!(
            config.validate(),
            Err(ConfigError::Zero {
                key: "store.max_spans_per_trace"
            })
        );
    }
}
