//! The Jaeger strategies file as serde data: `default_strategy`, `service_strategies`, each
//! entry `{service, type, param, operation_strategies}`, `type` `probabilistic` or
//! `ratelimiting`. Field names follow jaeger
//! `plugin/sampling/strategyprovider/static/strategy.go`; the file is JSON (as Jaeger reads
//! it) or YAML.

use serde::{Deserialize, Serialize};

/// `type` of a strategy-file entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StrategyKind {
    /// `probabilistic`: `param` is the probability in `[0, 1]`.
    Probabilistic,
    /// `ratelimiting`: `param` is the number of traces per second (truncated to an integer,
    /// as Jaeger does).
    Ratelimiting,
}

/// One entry of `operation_strategies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationEntry {
    /// The operation (span) name, e.g. `GET /productpage`.
    pub operation: String,
    /// Only `probabilistic` is meaningful for an operation (Jaeger's
    /// `OperationSamplingStrategy` carries only a probability).
    #[serde(rename = "type")]
    pub kind: StrategyKind,
    /// The probability.
    pub param: f64,
}

/// One entry of `service_strategies`, the `default_strategy`, and the body of
/// `PUT /api/v1/sampling/services/{service}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEntry {
    /// The service; empty for `default_strategy` (and optional in a `PUT` body, where the path
    /// names the service).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// `probabilistic` or `ratelimiting`.
    #[serde(rename = "type")]
    pub kind: StrategyKind,
    /// Probability or traces per second, depending on `type`.
    pub param: f64,
    /// Per-operation probabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operation_strategies: Vec<OperationEntry>,
}

impl ServiceEntry {
    /// A probabilistic entry for `service` without operation strategies.
    pub fn probabilistic(service: impl Into<String>, probability: f64) -> Self {
        Self {
            service: service.into(),
            kind: StrategyKind::Probabilistic,
            param: probability,
            operation_strategies: Vec::new(),
        }
    }
}

/// A whole strategies file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategiesDocument {
    /// The strategy of services without an entry (Jaeger: probabilistic 0.001 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_strategy: Option<ServiceEntry>,
    /// One entry per service.
    #[serde(default)]
    pub service_strategies: Vec<ServiceEntry>,
}

/// A strategies document or entry that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Invalid JSON, or JSON of the wrong shape.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Invalid YAML, or YAML of the wrong shape.
    #[error("invalid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
}

/// Reads JSON when the text starts with `{` (serde_json names the line and column better),
/// YAML otherwise.
pub fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        Ok(serde_json::from_slice(bytes)?)
    } else {
        Ok(serde_yaml_ng::from_slice(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jaeger_json_and_yaml() {
        let json = r#"{
            "default_strategy": {"type": "probabilistic", "param": 0.5},
            "service_strategies": [
                {"service": "foo", "type": "probabilistic", "param": 0.8,
                 "operation_strategies": [{"operation": "op1", "type": "probabilistic", "param": 0.2}]},
                {"service": "bar", "type": "ratelimiting", "param": 5}
            ]
        }"#;
        let yaml = "
default_strategy: {type: probabilistic, param: 0.5}
service_strategies:
  - service: foo
    type: probabilistic
    param: 0.8
    operation_strategies:
      - {operation: op1, type: probabilistic, param: 0.2}
  - {service: bar, type: ratelimiting, param: 5}
";
        let a: StrategiesDocument = parse(json.as_bytes()).unwrap();
        let b: StrategiesDocument = parse(yaml.as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.service_strategies[1].kind, StrategyKind::Ratelimiting);
        assert_eq!(a.service_strategies[0].operation_strategies[0].param, 0.2);
        let again: StrategiesDocument =
            parse(serde_json::to_string(&a).unwrap().as_bytes()).unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn unknown_keys_and_types_are_named() {
        let err = parse::<StrategiesDocument>(br#"{"service_strategy": []}"#).unwrap_err();
        assert!(err.to_string().contains("service_strategy"), "{err}");
        let err = parse::<ServiceEntry>(br#"{"type": "adaptive", "param": 1}"#).unwrap_err();
        assert!(err.to_string().contains("adaptive"), "{err}");
    }
}
