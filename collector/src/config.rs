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
    /// The trace store: its bounds, and where it keeps traces (memory or disk).
    pub store: StoreConfig,
    /// How many export requests may wait between the receivers and the store before
    /// receivers answer `UNAVAILABLE`.
    pub pipeline_capacity: usize,
    /// Largest decoded request body a receiver accepts, in bytes.
    pub max_request_bytes: usize,
    /// Backends every accepted span is sent on to: `grpc://HOST:PORT` (OTLP/gRPC) or
    /// `http://HOST:PORT[/PATH]` (OTLP/HTTP protobuf, `/v1/traces` by default), `grpcs://`
    /// and `https://` over TLS; each a bare URL or a map with `url`, `headers`,
    /// `compression`, `tls` and `queue: {dir, max_bytes, fsync}` (to persist the exporter's
    /// queue). Empty by default: spans are only stored.
    pub exporters: Vec<ExporterSettings>,
    /// Listen address of Jaeger remote sampling over HTTP (`GET /sampling?service=`).
    pub sampling_http: SocketAddr,
    /// Listen address of Jaeger remote sampling over gRPC (`SamplingManager`).
    pub sampling_grpc: SocketAddr,
    /// A Jaeger strategies file, watched for edits (`--strategies`).
    pub strategies: Option<PathBuf>,
    /// Where applied strategies, the exporters' queues (`DATA_DIR/queue/<url>`, unless an
    /// exporter names its own `queue.dir`) and the trace store (under `store/`, unless
    /// `store.dir` or `store.backend` says otherwise) persist; in memory when absent
    /// (`--data-dir`).
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
    /// The tail-sampling buffer: shards (one per core by default), byte budget, most spans
    /// per trace.
    pub tail_buffer: crate::tail::TailBufferConfig,
    /// Pass-through (`--passthrough`): a pipeline with no processing, receivers straight to
    /// exporters, like an OpenTelemetry Collector `traces` pipeline without processors. The
    /// embedded trace store (query API, UI) and latency aggregation are off; OTLP/gRPC
    /// requests are validated and forwarded as received, without decoding and re-encoding.
    /// The memory limiter, export back-pressure, persisted queues and tail sampling (when
    /// policies are set; spans are then decoded) still apply. Needs an exporter; not with
    /// `adaptive`. Off by default.
    pub passthrough: bool,
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
            tail_buffer: crate::tail::TailBufferConfig::default(),
            passthrough: false,
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
        self.store_dir()?;
        let checks = [
            ("store.max_traces", self.store.max_traces),
            ("store.max_spans_per_trace", self.store.max_spans_per_trace),
            ("pipeline_capacity", self.pipeline_capacity),
            ("max_request_bytes", self.max_request_bytes),
            ("tail_buffer.shards", self.tail_buffer.shards.unwrap_or(1)),
            (
                "tail_buffer.max_bytes",
                usize::from(self.tail_buffer.max_bytes > 0),
            ),
            (
                "tail_buffer.max_spans_per_trace",
                usize::from(self.tail_buffer.max_spans_per_trace > 0),
            ),
        ];
        if let Some((key, _)) = checks.into_iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Zero { key });
        }
        if self.passthrough && self.exporters.is_empty() {
            return Err(ConfigError::PassthroughWithoutExporters);
        }
        if self.passthrough && !self.adaptive.services.is_empty() {
            return Err(ConfigError::PassthroughWithAdaptive);
        }
        if !self.http.ip().is_loopback() && self.admin_token.is_none() && !self.insecure_control {
            return Err(ConfigError::InsecureControl(self.http));
        }
        Ok(())
    }

    /// Where the trace store keeps traces: `None` for memory. `store.dir` when set, else
    /// `data_dir/store` (see [`StoreBackend`]); a path that exists must be a directory.
    pub fn store_dir(&self) -> Result<Option<PathBuf>, ConfigError> {
        let dir = match self.store.backend {
            StoreBackend::Memory => return Ok(None),
            StoreBackend::Auto | StoreBackend::Disk => self
                .store
                .dir
                .clone()
                .or_else(|| self.data_dir.as_ref().map(|d| d.join(STORE_SUBDIR))),
        };
        match dir {
            None if self.store.backend == StoreBackend::Disk => Err(ConfigError::StoreDirMissing),
            Some(dir) if dir.exists() && !dir.is_dir() => Err(ConfigError::StoreDirNotADir(dir)),
            dir => Ok(dir),
        }
    }

    /// The exporters, checked (URL, headers, TLS files, queue); the first bad one is named
    /// with its index.
    pub fn exporter_configs(&self) -> Result<Vec<ExporterConfig>, ConfigError> {
        let mut configs: Vec<ExporterConfig> = Vec::with_capacity(self.exporters.len());
        for (index, entry) in self.exporters.iter().enumerate() {
            let config = entry
                .resolve(self.data_dir.as_deref())
                .map_err(|error| ConfigError::Exporter { index, error })?;
            if let Some(persist) = &config.persist {
                if persist.max_bytes == 0 {
                    return Err(ConfigError::QueueMaxBytes { index });
                }
                let shared = configs
                    .iter()
                    .position(|other| other.persist.as_ref().is_some_and(|o| o.dir == persist.dir));
                if let Some(first) = shared {
                    return Err(ConfigError::SharedQueueDir {
                        first,
                        index,
                        dir: persist.dir.clone(),
                    });
                }
            }
            configs.push(config);
        }
        Ok(configs)
    }
}

/// The directory under `data_dir` where the trace store lives unless `store.dir` is set.
pub const STORE_SUBDIR: &str = "store";

/// Where the trace store keeps traces (config key `store.backend`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// On disk when `store.dir` or `data_dir` is set, else in memory.
    #[default]
    Auto,
    /// In memory, even with a `data_dir`: traces are lost on restart.
    Memory,
    /// On disk, in `store.dir` or else `data_dir/store`; one of them must be set.
    Disk,
}

/// The trace store: bounds and where traces are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Memory or disk (`auto`: disk when `dir` or `data_dir` is set).
    pub backend: StoreBackend,
    /// Directory of the on-disk store (`--store-dir`); created if missing. Default:
    /// `data_dir/store` when `data_dir` is set.
    pub dir: Option<PathBuf>,
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
            backend: StoreBackend::default(),
            dir: None,
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
    /// `store.backend` is `disk` but no directory is given.
    #[error(
        "config key `store.backend` is `disk` but neither `store.dir` (--store-dir) nor `data_dir` (--data-dir) is set"
    )]
    StoreDirMissing,
    /// The store directory names something that is not a directory.
    #[error("config key `store.dir`: {0} exists and is not a directory")]
    StoreDirNotADir(PathBuf),
    /// Pass-through with nowhere to pass spans to.
    #[error(
        "config key `passthrough` (--passthrough) needs at least one exporter (--export): \
         without the store every span would be discarded"
    )]
    PassthroughWithoutExporters,
    /// Pass-through leaves out what adaptive sampling observes.
    #[error(
        "config keys `passthrough` and `adaptive.services` cannot both be set: adaptive \
         sampling counts traces from decoded spans, which pass-through does not decode"
    )]
    PassthroughWithAdaptive,
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
    /// A persistent queue bounded at zero bytes.
    #[error("config key `exporters[{index}].queue.max_bytes` must be at least 1")]
    QueueMaxBytes {
        /// Position in `exporters`.
        index: usize,
    },
    /// Two exporters would share one queue directory.
    #[error(
        "config key `exporters[{index}]`: queue directory {} is also `exporters[{first}]`'s; \
         give each exporter its own `queue.dir`", dir.display()
    )]
    SharedQueueDir {
        /// The first exporter with the directory.
        first: usize,
        /// The second one.
        index: usize,
        /// The directory.
        dir: PathBuf,
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
    fn persistent_queues_are_validated() {
        let config: CollectorConfig = serde_yaml_ng::from_str(
            "exporters:\n  - grpc://a:1\n  - url: grpc://b:1\n    queue: { max_bytes: 0 }\n",
        )
        .unwrap();
        assert_eq!(config.exporter_configs().unwrap()[0].persist, None);
        let config = CollectorConfig {
            data_dir: Some("/data".into()),
            ..config
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err, ConfigError::QueueMaxBytes { index: 1 });
        assert!(err.to_string().contains("exporters[1].queue.max_bytes"));

        let config: CollectorConfig = serde_yaml_ng::from_str(
            "exporters:\n  - { url: grpc://a:1, queue: { dir: /q } }\n  - { url: grpc://b:1, queue: { dir: /q } }\n",
        )
        .unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("exporters[1]") && err.contains("exporters[0]"),
            "{err}"
        );
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
    fn the_store_is_on_disk_when_a_directory_is_given() {
        let base = CollectorConfig {
            insecure_control: true,
            ..CollectorConfig::default()
        };
        assert_eq!(base.store_dir(), Ok(None));
        let with_data: CollectorConfig =
            serde_json::from_str(r#"{"data_dir":"/var/lib/mt","insecure_control":true}"#).unwrap();
        assert_eq!(
            with_data.store_dir(),
            Ok(Some(PathBuf::from("/var/lib/mt/store")))
        );
        let explicit: CollectorConfig = serde_json::from_str(
            r#"{"data_dir":"/var/lib/mt","store":{"dir":"/traces"},"insecure_control":true}"#,
        )
        .unwrap();
        assert_eq!(explicit.store_dir(), Ok(Some(PathBuf::from("/traces"))));
        let memory: CollectorConfig =
            serde_json::from_str(r#"{"data_dir":"/var/lib/mt","store":{"backend":"memory"}}"#)
                .unwrap();
        assert_eq!(memory.store_dir(), Ok(None));
        let disk: CollectorConfig =
            serde_json::from_str(r#"{"store":{"backend":"disk"},"insecure_control":true}"#)
                .unwrap();
        assert_eq!(disk.validate(), Err(ConfigError::StoreDirMissing));
        let file = std::env::current_exe().unwrap();
        let not_dir = CollectorConfig {
            store: StoreConfig {
                dir: Some(file.clone()),
                ..StoreConfig::default()
            },
            ..base
        };
        assert_eq!(not_dir.validate(), Err(ConfigError::StoreDirNotADir(file)));
        let err = serde_json::from_str::<CollectorConfig>(r#"{"store":{"backend":"tape"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tape"), "{err}");
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
        let mut config = CollectorConfig::default();
        config.tail_buffer.shards = Some(0);
        assert_eq!(
            config.validate(),
            Err(ConfigError::Zero {
                key: "tail_buffer.shards"
            })
        );
        let mut config = CollectorConfig::default();
        config.tail_buffer.max_bytes = 0;
        assert_eq!(
            config.validate(),
            Err(ConfigError::Zero {
                key: "tail_buffer.max_bytes"
            })
        );
    }

    #[test]
    fn passthrough_needs_an_exporter_and_no_adaptive_sampling() {
        let config: CollectorConfig =
            serde_yaml_ng::from_str("passthrough: true\ninsecure_control: true").unwrap();
        assert_eq!(
            config.validate(),
            Err(ConfigError::PassthroughWithoutExporters)
        );
        let config = CollectorConfig {
            exporters: vec![ExporterSettings::from_url("grpc://a:1")],
            ..config
        };
        assert_eq!(config.validate(), Ok(()));
        let mut adaptive = config.clone();
        adaptive.adaptive.services.insert("cart".into(), 1.0);
        let err = adaptive.validate().unwrap_err();
        assert_eq!(err, ConfigError::PassthroughWithAdaptive);
        assert!(err.to_string().contains("adaptive.services"), "{err}");
    }

    #[test]
    fn tail_buffer_reads_from_the_file() {
        let config: CollectorConfig =
            serde_yaml_ng::from_str("tail_buffer: {shards: 2, max_spans_per_trace: 50}").unwrap();
        assert_eq!(config.tail_buffer.shard_count(), 2);
        assert_eq!(config.tail_buffer.limits().max_spans_per_trace, 50);
        assert!(serde_yaml_ng::from_str::<CollectorConfig>("tail_buffer: {shardz: 2}").is_err());
    }
}
