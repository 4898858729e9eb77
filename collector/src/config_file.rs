//! The config file, in either of two shapes that mean the same [`CollectorConfig`]:
//!
//! - flat, every key at the top (`otlp_grpc`, `tail_sampling`, `exporters: [..]`, ...), as
//!   `docs/CONFIG.md` lists them;
//! - grouped the way an OpenTelemetry Collector user knows it, with our names: `receivers`,
//!   `processors`, `exporters` (a map of named exporters), `extensions` and `service`.
//!
//! ```yaml
//! receivers:  { otlp_grpc: 0.0.0.0:4317, otlp_http: 0.0.0.0:4318, zipkin: 0.0.0.0:9411 }
//! processors:
//!   memory_limiter: { limit_mib: 2048 }
//!   tail_sampling:  { decision_wait: 10s, policies: [ ... ] }
//! exporters:
//!   jaeger: grpc://jaeger-collector:4317
//!   backup: { url: http://tempo:4318, queue: { max_bytes: 1073741824 } }
//! extensions:
//!   http: 0.0.0.0:16686
//!   jaeger_remote_sampling: { http: 0.0.0.0:5778, grpc: 0.0.0.0:5779, strategies: s.json }
//!   store: { max_traces: 10000 }
//! service: { data_dir: /var/lib/meshtrace }   # passthrough: true = no store, no aggregation
//! ```
//!
//! A document with any of the group keys at the top is read grouped, otherwise flat; both
//! refuse unknown keys, naming the key and its line.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use sampler::tail::TailPolicyDocument;
use serde::Deserialize;

use crate::adaptive::AdaptiveSettings;
use crate::aggregate::AggregateConfig;
use crate::config::{CollectorConfig, Secret, StoreConfig};
use crate::export::ExporterSettings;
use crate::pipeline::memory::MemoryLimitConfig;
use crate::tail::TailBufferConfig;

/// The top-level keys that make a document grouped.
const GROUPS: [&str; 5] = [
    "receivers",
    "processors",
    "exporters",
    "extensions",
    "service",
];

/// Reads a config file's text, flat or grouped; errors name the key and the line.
pub fn parse_config(text: &str) -> Result<CollectorConfig, serde_yaml_ng::Error> {
    if is_grouped(text)? {
        serde_yaml_ng::from_str::<Grouped>(text).map(CollectorConfig::from)
    } else {
        serde_yaml_ng::from_str(text)
    }
}

/// Whether the document's top level has a group key (`exporters` only when it is a map: a
/// flat document lists its exporters).
fn is_grouped(text: &str) -> Result<bool, serde_yaml_ng::Error> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
    let Some(top) = value.as_mapping() else {
        return Ok(false);
    };
    Ok(GROUPS.iter().any(|&group| match top.get(group) {
        Some(serde_yaml_ng::Value::Sequence(_)) => false,
        Some(_) => true,
        None => false,
    }))
}

/// The grouped document.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Grouped {
    receivers: Receivers,
    processors: Processors,
    /// Named exporters; the names are for the reader (each URL gets its own queue).
    exporters: BTreeMap<String, ExporterSettings>,
    extensions: Extensions,
    service: Service,
}

/// Where spans come in.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Receivers {
    otlp_grpc: Option<SocketAddr>,
    otlp_http: Option<SocketAddr>,
    zipkin: Option<SocketAddr>,
    max_request_bytes: Option<usize>,
}

/// What happens to spans on the way through.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Processors {
    memory_limiter: Option<MemoryLimitConfig>,
    tail_sampling: Option<TailPolicyDocument>,
    tail_policies: Option<PathBuf>,
    tail_buffer: Option<TailBufferConfig>,
    aggregate: Option<AggregateConfig>,
    adaptive: Option<AdaptiveSettings>,
}

/// The query API, control API, remote sampling and the trace store.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Extensions {
    http: Option<SocketAddr>,
    admin_token: Option<Secret>,
    insecure_control: Option<bool>,
    jaeger_remote_sampling: RemoteSampling,
    store: Option<StoreConfig>,
}

/// `extensions.jaeger_remote_sampling` (the OpenTelemetry Collector has an extension of
/// that name).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RemoteSampling {
    http: Option<SocketAddr>,
    grpc: Option<SocketAddr>,
    strategies: Option<PathBuf>,
}

/// Process-wide settings.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Service {
    data_dir: Option<PathBuf>,
    pipeline_capacity: Option<usize>,
    passthrough: Option<bool>,
}

impl From<Grouped> for CollectorConfig {
    fn from(g: Grouped) -> Self {
        let d = CollectorConfig::default();
        let (r, p, e, s) = (g.receivers, g.processors, g.extensions, g.service);
        CollectorConfig {
            otlp_grpc: r.otlp_grpc.unwrap_or(d.otlp_grpc),
            otlp_http: r.otlp_http.unwrap_or(d.otlp_http),
            zipkin: r.zipkin.unwrap_or(d.zipkin),
            max_request_bytes: r.max_request_bytes.unwrap_or(d.max_request_bytes),
            memory_limiter: p.memory_limiter.unwrap_or(d.memory_limiter),
            tail_sampling: p.tail_sampling.unwrap_or(d.tail_sampling),
            tail_policies: p.tail_policies.or(d.tail_policies),
            tail_buffer: p.tail_buffer.unwrap_or(d.tail_buffer),
            aggregate: p.aggregate.unwrap_or(d.aggregate),
            adaptive: p.adaptive.unwrap_or(d.adaptive),
            exporters: g.exporters.into_values().collect(),
            http: e.http.unwrap_or(d.http),
            admin_token: e.admin_token.or(d.admin_token),
            insecure_control: e.insecure_control.unwrap_or(d.insecure_control),
            sampling_http: e.jaeger_remote_sampling.http.unwrap_or(d.sampling_http),
            sampling_grpc: e.jaeger_remote_sampling.grpc.unwrap_or(d.sampling_grpc),
            strategies: e.jaeger_remote_sampling.strategies.or(d.strategies),
            store: e.store.unwrap_or(d.store),
            data_dir: s.data_dir.or(d.data_dir),
            pipeline_capacity: s.pipeline_capacity.unwrap_or(d.pipeline_capacity),
            passthrough: s.passthrough.unwrap_or(d.passthrough),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAT: &str = r#"
otlp_grpc: 127.0.0.1:14317
zipkin: 127.0.0.1:19411
max_request_bytes: 1048576
memory_limiter: {limit_mib: 512}
tail_sampling:
  decision_wait: 5s
  policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]
aggregate: {max_series: 500}
exporters: [grpc://jaeger:4317, {url: "http://tempo:4318", queue: {max_bytes: 1000}}]
http: 127.0.0.1:16686
admin_token: s3cret
sampling_grpc: 127.0.0.1:15779
strategies: /etc/meshtrace/strategies.json
store: {max_traces: 77}
data_dir: /var/lib/meshtrace
pipeline_capacity: 64
passthrough: true
"#;

    const GROUPED: &str = r#"
receivers:
  otlp_grpc: 127.0.0.1:14317
  zipkin: 127.0.0.1:19411
  max_request_bytes: 1048576
processors:
  memory_limiter: {limit_mib: 512}
  tail_sampling:
    decision_wait: 5s
    policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]
  aggregate: {max_series: 500}
exporters:
  a-jaeger: grpc://jaeger:4317
  b-tempo: {url: "http://tempo:4318", queue: {max_bytes: 1000}}
extensions:
  http: 127.0.0.1:16686
  admin_token: s3cret
  jaeger_remote_sampling: {grpc: 127.0.0.1:15779, strategies: /etc/meshtrace/strategies.json}
  store: {max_traces: 77}
service:
  data_dir: /var/lib/meshtrace
  pipeline_capacity: 64
  passthrough: true
"#;

    #[test]
    fn both_shapes_mean_the_same_config() {
        let flat = parse_config(FLAT).unwrap();
        let grouped = parse_config(GROUPED).unwrap();
        assert_eq!(flat, grouped);
        assert_ne!(
            flat,
            CollectorConfig::default(),
            "the documents set something"
        );
        assert_eq!(grouped.exporters.len(), 2);
        assert_eq!(grouped.store.max_traces, 77);
    }

    #[test]
    fn an_empty_group_leaves_the_defaults() {
        assert_eq!(
            parse_config("receivers: {}").unwrap(),
            CollectorConfig::default()
        );
        assert_eq!(parse_config("{}").unwrap(), CollectorConfig::default());
    }

    #[test]
    fn unknown_keys_are_named_with_their_line_in_either_shape() {
        let grouped = parse_config("receivers:\n  otlp_grpc: 127.0.0.1:1\n  otlp: {}\n")
            .unwrap_err()
            .to_string();
        assert!(grouped.contains("unknown field `otlp`"), "{grouped}");
        assert!(grouped.contains("line 3"), "{grouped}");
        let top = parse_config("receivers: {}\nprocessor: {}\n")
            .unwrap_err()
            .to_string();
        assert!(top.contains("unknown field `processor`"), "{top}");
        assert!(top.contains("line 2"), "{top}");
        let flat = parse_config("otlp_grpc: 127.0.0.1:1\notlp: {}\n")
            .unwrap_err()
            .to_string();
        assert!(flat.contains("unknown field `otlp`"), "{flat}");
    }

    #[test]
    fn the_deploy_config_map_is_a_valid_grouped_config() {
        let manifest = include_str!("../../deploy/collector.yaml");
        let document = serde_yaml_ng::Deserializer::from_str(manifest)
            .map(|d| serde_yaml_ng::Value::deserialize(d).unwrap())
            .find(|d| d["kind"] == "ConfigMap")
            .expect("deploy/collector.yaml has a ConfigMap");
        let text = document["data"]["collector.yaml"].as_str().unwrap();
        assert!(is_grouped(text).unwrap());
        let mut config = parse_config(text).unwrap();
        // The Deployment gives the token from a Secret (MESHTRACE_ADMIN_TOKEN).
        config.admin_token = Some(Secret("from-the-secret".into()));
        config.validate().unwrap();
        assert!(!config.tail_sampling.policies.is_empty());
    }
}
