//! Envoy: the OpenTelemetry tracer on the HTTP connection manager, exporting over gRPC to a
//! `meshtrace_collector` cluster.
//!
//! Field names as in Envoy's v3 API reference (envoyproxy.io/docs/envoy/latest/api-v3/):
//! `config/trace/v3/opentelemetry.proto` (`OpenTelemetryConfig{grpc_service, service_name}`,
//! extension `envoy.tracers.opentelemetry`), `http_connection_manager.proto`
//! (`HttpConnectionManager.Tracing{random_sampling, provider}`, `random_sampling` an
//! `envoy.type.v3.Percent{value}`), `config/core/v3/grpc_service.proto`
//! (`envoy_grpc.cluster_name`, `timeout`) and `upstreams/http/v3/http_protocol_options.proto`
//! (`explicit_http_config.http2_protocol_options`: OTLP/gRPC needs HTTP/2).

use serde_yaml_ng::Value;

use super::values::{CollectorAddr, SamplingPercent};
use super::yaml::{RenderError, document, map, s};

/// Name of the cluster the tracer exports to.
pub const CLUSTER: &str = "meshtrace_collector";

/// The two fragments: the cluster for `static_resources`, and the `tracing` block for every
/// HTTP connection manager.
pub fn render(collector: &CollectorAddr, sampling: SamplingPercent) -> Result<String, RenderError> {
    let cluster_doc = document(
        &[
            &format!("meshtrace: Envoy tracing to the collector at {collector} (OTLP/gRPC)."),
            "1/2 Bootstrap fragment: merge into static_resources.clusters.",
        ],
        &map([(
            "static_resources",
            map([("clusters", Value::Sequence(vec![cluster(collector)]))]),
        )]),
    )?;
    let tracing_doc = document(
        &[
            "2/2 HttpConnectionManager fragment: merge into the typed_config of every",
            "envoy.filters.network.http_connection_manager filter.",
        ],
        &map([("tracing", tracing(sampling))]),
    )?;
    Ok(cluster_doc + &tracing_doc)
}

fn tracing(sampling: SamplingPercent) -> Value {
    let otel = map([
        (
            "@type",
            s("type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig"),
        ),
        (
            "grpc_service",
            map([
                ("envoy_grpc", map([("cluster_name", s(CLUSTER))])),
                ("timeout", s("0.250s")),
            ]),
        ),
        ("service_name", s("envoy")),
    ]);
    map([
        (
            "random_sampling",
            map([("value", Value::from(sampling.get()))]),
        ),
        (
            "provider",
            map([
                ("name", s("envoy.tracers.opentelemetry")),
                ("typed_config", otel),
            ]),
        ),
    ])
}

fn cluster(collector: &CollectorAddr) -> Value {
    let socket = map([
        ("address", s(&collector.host)),
        ("port_value", Value::from(collector.port)),
    ]);
    let endpoint = map([(
        "endpoint",
        map([("address", map([("socket_address", socket)]))]),
    )]);
    let http2 = map([
        (
            "@type",
            s("type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
        ),
        (
            "explicit_http_config",
            map([("http2_protocol_options", map([]))]),
        ),
    ]);
    map([
        ("name", s(CLUSTER)),
        ("type", s("STRICT_DNS")),
        ("lb_policy", s("ROUND_ROBIN")),
        (
            "typed_extension_protocol_options",
            map([(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                http2,
            )]),
        ),
        (
            "load_assignment",
            map([
                ("cluster_name", s(CLUSTER)),
                (
                    "endpoints",
                    Value::Sequence(vec![map([(
                        "lb_endpoints",
                        Value::Sequence(vec![endpoint]),
                    )])]),
                ),
            ]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracer_points_at_the_cluster() {
        let collector = "collector:4317".parse().unwrap();
        let text = render(&collector, "2.5".parse().unwrap()).unwrap();
        let docs: Vec<Value> = text
            .split("---\n")
            .filter(|d| !d.is_empty())
            .map(|d| serde_yaml_ng::from_str(d).unwrap())
            .collect();
        let cluster = &docs[0]["static_resources"]["clusters"][0];
        assert_eq!(cluster["name"].as_str(), Some(CLUSTER));
        let socket = &cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
            ["socket_address"];
        assert_eq!(socket["port_value"].as_u64(), Some(4317));
        let tracing = &docs[1]["tracing"];
        assert_eq!(tracing["random_sampling"]["value"].as_f64(), Some(2.5));
        let grpc = &tracing["provider"]["typed_config"]["grpc_service"];
        assert_eq!(grpc["envoy_grpc"]["cluster_name"].as_str(), Some(CLUSTER));
    }
}
