//! Zipkin v2 JSON (`application/json`): the wire structs and their parsing into
//! [`ZipkinSpan`]s.
//!
//! Lenient where real senders differ: numbers may arrive as strings (older Envoy versions
//! wrote `timestamp`/`duration` that way), tag values may be numbers or booleans, empty
//! strings mean absent. Unknown fields are ignored, as Zipkin does.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::span::{Annotation, Endpoint, FieldError, Kind, SpanError, ZipkinSpan, hex_id, parent};
use crate::receiver::ReceiveError;

/// The format name used in error messages.
pub const FORMAT: &str = "Zipkin v2 JSON";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSpan {
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    timestamp: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    duration: Option<u64>,
    #[serde(default)]
    local_endpoint: Option<WireEndpoint>,
    #[serde(default)]
    remote_endpoint: Option<WireEndpoint>,
    #[serde(default)]
    annotations: Option<Vec<WireAnnotation>>,
    #[serde(default)]
    tags: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    debug: Option<bool>,
    #[serde(default)]
    shared: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEndpoint {
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    ipv4: Option<String>,
    #[serde(default)]
    ipv6: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    port: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct WireAnnotation {
    #[serde(default, deserialize_with = "lenient_u64")]
    timestamp: Option<u64>,
    #[serde(default)]
    value: Option<String>,
}

/// Parses a JSON list of spans; the first invalid span refuses the request, naming it.
pub fn parse(bytes: &[u8]) -> Result<Vec<ZipkinSpan>, ReceiveError> {
    let wire: Vec<WireSpan> =
        serde_json::from_slice(bytes).map_err(|err| ReceiveError::Malformed {
            format: FORMAT,
            reason: err.to_string(),
        })?;
    wire.into_iter()
        .enumerate()
        .map(|(index, span)| {
            span.parse().map_err(|error| ReceiveError::Malformed {
                format: FORMAT,
                reason: SpanError { index, error }.to_string(),
            })
        })
        .collect()
}

impl WireSpan {
    fn parse(self) -> Result<ZipkinSpan, FieldError> {
        let trace_id = hex_id::<16>("traceId", self.trace_id.as_deref().unwrap_or_default())?;
        let id = hex_id::<8>("id", self.id.as_deref().unwrap_or_default())?;
        let parent_id = match self.parent_id.as_deref() {
            None | Some("") => None,
            Some(text) => match hex_id::<8>("parentId", text) {
                Ok(p) => Some(p),
                Err(FieldError::Zero { .. }) => None,
                Err(err) => return Err(err),
            },
        };
        let kind = match self.kind.as_deref() {
            None | Some("") => None,
            Some(text) => Some(parse_kind(text)?),
        };
        Ok(ZipkinSpan {
            trace_id,
            id,
            parent_id: parent(parent_id, id),
            kind,
            name: self.name.unwrap_or_default(),
            timestamp_us: self.timestamp.unwrap_or_default(),
            duration_us: self.duration.unwrap_or_default(),
            local_endpoint: self
                .local_endpoint
                .map(|e| e.parse("localEndpoint"))
                .transpose()?,
            remote_endpoint: self
                .remote_endpoint
                .map(|e| e.parse("remoteEndpoint"))
                .transpose()?,
            annotations: self
                .annotations
                .unwrap_or_default()
                .into_iter()
                .map(|a| Annotation {
                    timestamp_us: a.timestamp.unwrap_or_default(),
                    value: a.value.unwrap_or_default(),
                })
                .collect(),
            tags: self
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| (key, tag_text(value)))
                .collect(),
            debug: self.debug.unwrap_or_default(),
            shared: self.shared.unwrap_or_default(),
        })
    }
}

impl WireEndpoint {
    fn parse(self, field: &'static str) -> Result<Endpoint, FieldError> {
        let address = FieldError::Address { field };
        let ipv4 = match self.ipv4.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<Ipv4Addr>().map_err(|_| address)?),
        };
        let ipv6 = match self.ipv6.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<Ipv6Addr>().map_err(|_| address)?),
        };
        let port = match self.port {
            None | Some(0) => None,
            Some(port) => Some(u16::try_from(port).map_err(|_| FieldError::Port { field })?),
        };
        Ok(Endpoint {
            service_name: self.service_name.filter(|s| !s.is_empty()),
            ipv4,
            ipv6,
            port,
        })
    }
}

fn parse_kind(text: &str) -> Result<Kind, FieldError> {
    match text.to_ascii_uppercase().as_str() {
        "CLIENT" => Ok(Kind::Client),
        "SERVER" => Ok(Kind::Server),
        "PRODUCER" => Ok(Kind::Producer),
        "CONSUMER" => Ok(Kind::Consumer),
        _ => Err(FieldError::Kind),
    }
}

/// Tag values are strings in Zipkin; other scalars are kept as their JSON text.
fn tag_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An unsigned integer given as a JSON number or a decimal string; `null` is absent.
fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(text)) if text.is_empty() => Ok(None),
        Some(NumberOrText::Text(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected an unsigned integer, got {text:?}"))),
    }
}
