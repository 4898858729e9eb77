//! Istio: an `IstioOperator` whose MeshConfig declares the collector as an `opentelemetry`
//! extension provider, and a mesh-wide `Telemetry` resource that selects it with a random
//! sampling percentage.
//!
//! Field names as in Istio's reference (istio.io/latest/docs/reference/config/):
//! `istio.mesh.v1alpha1` MeshConfig `extensionProviders[{name, opentelemetry{service, port}}]`
//! and `enableTracing`; `telemetry.istio.io/v1` Telemetry `spec.tracing[{providers[{name}],
//! randomSamplingPercentage}]`; the same pair appears in Istio's task "Configure trace
//! sampling" (istio.io/latest/docs/tasks/observability/distributed-tracing/sampling).

use serde_yaml_ng::Value;

use super::values::{CollectorAddr, SamplingPercent};
use super::yaml::{RenderError, document, map, s};

/// Name of the extension provider.
pub const PROVIDER: &str = "meshtrace";

/// The `IstioOperator` (for `istioctl install -f`) and the `Telemetry` resource.
pub fn render(collector: &CollectorAddr, sampling: SamplingPercent) -> Result<String, RenderError> {
    let provider = map([
        ("name", s(PROVIDER)),
        (
            "opentelemetry",
            map([
                ("service", s(&collector.host)),
                ("port", Value::from(collector.port)),
            ]),
        ),
    ]);
    let operator = map([
        ("apiVersion", s("install.istio.io/v1alpha1")),
        ("kind", s("IstioOperator")),
        (
            "spec",
            map([(
                "meshConfig",
                map([
                    ("enableTracing", Value::Bool(true)),
                    ("extensionProviders", Value::Sequence(vec![provider])),
                ]),
            )]),
        ),
    ]);
    let telemetry = map([
        ("apiVersion", s("telemetry.istio.io/v1")),
        ("kind", s("Telemetry")),
        (
            "metadata",
            map([
                ("name", s("mesh-default")),
                ("namespace", s("istio-system")),
            ]),
        ),
        (
            "spec",
            map([(
                "tracing",
                Value::Sequence(vec![map([
                    (
                        "providers",
                        Value::Sequence(vec![map([("name", s(PROVIDER))])]),
                    ),
                    ("randomSamplingPercentage", Value::from(sampling.get())),
                ])]),
            )]),
        ),
    ]);
    let first = document(
        &[
            &format!("meshtrace: Istio tracing to the collector at {collector} (OTLP/gRPC)."),
            "1/2 MeshConfig: `istioctl install -f` this, or merge spec.meshConfig into yours.",
        ],
        &operator,
    )?;
    let second = document(
        &["2/2 Mesh-wide Telemetry (root namespace): `kubectl apply -f` this."],
        &telemetry,
    )?;
    Ok(first + &second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_documents_parse_and_carry_the_values() {
        let collector = "otel.observability:4317".parse().unwrap();
        let sampling = "10".parse().unwrap();
        let text = render(&collector, sampling).unwrap();
        let docs: Vec<Value> = text
            .split("---\n")
            .filter(|d| !d.is_empty())
            .map(|d| serde_yaml_ng::from_str(d).unwrap())
            .collect();
        let provider = &docs[0]["spec"]["meshConfig"]["extensionProviders"][0];
        assert_eq!(
            provider["opentelemetry"]["service"].as_str(),
            Some("otel.observability")
        );
        assert_eq!(provider["opentelemetry"]["port"].as_u64(), Some(4317));
        let tracing = &docs[1]["spec"]["tracing"][0];
        assert_eq!(tracing["randomSamplingPercentage"].as_f64(), Some(10.0));
        assert_eq!(tracing["providers"][0]["name"].as_str(), Some(PROVIDER));
    }
}
