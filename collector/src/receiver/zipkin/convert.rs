//! Zipkin spans to stored spans, mapped as the OpenTelemetry Collector's Zipkin receiver
//! maps them (`pkg/translator/zipkin/zipkinv2/to_translator.go` in
//! opentelemetry-collector-contrib):
//!
//! - `localEndpoint.serviceName` becomes the resource's `service.name`;
//! - kind CLIENT/SERVER/PRODUCER/CONSUMER maps one to one; without a kind, a `span.kind`
//!   tag of `internal` (or another kind) decides, else the kind is unspecified;
//! - tags become string attributes; `otel.status_code`/`otel.status_description` set the
//!   status, and an `error` tag makes it an error (its value, unless `true`, is the message);
//! - the local endpoint adds `net.host.ip`/`net.host.port`, the remote endpoint
//!   `peer.service`, `net.peer.ip`, `net.peer.port` (and, on client spans, the newer
//!   `server.address`/`server.port`);
//! - annotations become events; microseconds become nanoseconds;
//! - a shared span keeps the id it shares with the caller's client span.

use std::collections::HashMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

use super::span::{Endpoint, Kind, ZipkinSpan};
use crate::receiver::otlp::UNKNOWN_SERVICE;
use crate::store::{SpanEvent, SpanStatus, StoredSpan};

/// Attribute and tag names this mapping reads or writes.
pub mod names {
    /// Resource attribute naming the service.
    pub const SERVICE_NAME: &str = "service.name";
    /// Tag carrying the kind when the span has none.
    pub const SPAN_KIND: &str = "span.kind";
    /// Tag marking an error.
    pub const ERROR: &str = "error";
    /// Tag carrying an OpenTelemetry status code name.
    pub const OTEL_STATUS_CODE: &str = "otel.status_code";
    /// Tag carrying an OpenTelemetry status message.
    pub const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";
    /// Local endpoint address.
    pub const NET_HOST_IP: &str = "net.host.ip";
    /// Local endpoint port.
    pub const NET_HOST_PORT: &str = "net.host.port";
    /// Remote endpoint service name.
    pub const PEER_SERVICE: &str = "peer.service";
    /// Remote endpoint address.
    pub const NET_PEER_IP: &str = "net.peer.ip";
    /// Remote endpoint port.
    pub const NET_PEER_PORT: &str = "net.peer.port";
    /// Remote endpoint address of a client span (current semantic conventions).
    pub const SERVER_ADDRESS: &str = "server.address";
    /// Remote endpoint port of a client span (current semantic conventions).
    pub const SERVER_PORT: &str = "server.port";
}

/// Converts parsed spans, sharing one resource per service.
pub fn to_stored(spans: Vec<ZipkinSpan>) -> Vec<StoredSpan> {
    let mut resources: HashMap<String, (Arc<str>, Arc<[KeyValue]>)> = HashMap::new();
    spans
        .into_iter()
        .map(|span| {
            let service = span
                .local_endpoint
                .as_ref()
                .and_then(|e| e.service_name.clone())
                .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned());
            let (service, resource) = resources
                .entry(service)
                .or_insert_with_key(|name| {
                    let resource = vec![string(names::SERVICE_NAME, name.clone())];
                    (Arc::from(name.as_str()), Arc::from(resource))
                })
                .clone();
            convert(span, service, resource)
        })
        .collect()
}

fn convert(span: ZipkinSpan, service: Arc<str>, resource: Arc<[KeyValue]>) -> StoredSpan {
    let mut tags = span.tags;
    let kind = kind(span.kind, &mut tags);
    let status = status(&mut tags);
    let mut attributes: Vec<KeyValue> = tags.into_iter().map(|(k, v)| string(&k, v)).collect();
    if let Some(local) = &span.local_endpoint {
        add_endpoint(
            &mut attributes,
            local,
            names::NET_HOST_IP,
            names::NET_HOST_PORT,
        );
    }
    if let Some(remote) = &span.remote_endpoint {
        if let Some(peer) = &remote.service_name {
            attributes.push(string(names::PEER_SERVICE, peer.clone()));
        }
        add_endpoint(
            &mut attributes,
            remote,
            names::NET_PEER_IP,
            names::NET_PEER_PORT,
        );
        if kind == SpanKind::Client {
            add_endpoint(
                &mut attributes,
                remote,
                names::SERVER_ADDRESS,
                names::SERVER_PORT,
            );
        }
    }
    let start = micros_to_nanos(span.timestamp_us);
    StoredSpan {
        trace_id: span.trace_id,
        span_id: span.id,
        parent_span_id: span.parent_id,
        // Zipkin carries no tracestate.
        trace_state: String::new(),
        name: span.name,
        kind,
        start_unix_nano: start,
        end_unix_nano: start.saturating_add(micros_to_nanos(span.duration_us)),
        service,
        resource,
        attributes,
        status,
        events: span
            .annotations
            .into_iter()
            .map(|a| SpanEvent {
                time_unix_nano: micros_to_nanos(a.timestamp_us),
                name: a.value,
                attributes: Vec::new(),
            })
            .collect(),
    }
}

fn kind(kind: Option<Kind>, tags: &mut Vec<(String, String)>) -> SpanKind {
    match kind {
        Some(Kind::Client) => SpanKind::Client,
        Some(Kind::Server) => SpanKind::Server,
        Some(Kind::Producer) => SpanKind::Producer,
        Some(Kind::Consumer) => SpanKind::Consumer,
        None => match take(tags, names::SPAN_KIND).as_deref() {
            Some("internal") => SpanKind::Internal,
            Some("client") => SpanKind::Client,
            Some("server") => SpanKind::Server,
            Some("producer") => SpanKind::Producer,
            Some("consumer") => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        },
    }
}

fn status(tags: &mut Vec<(String, String)>) -> SpanStatus {
    let mut status = SpanStatus::default();
    if let Some(code) = take(tags, names::OTEL_STATUS_CODE) {
        status.code = match code.as_str() {
            "STATUS_CODE_OK" | "OK" => StatusCode::Ok,
            "STATUS_CODE_ERROR" | "ERROR" => StatusCode::Error,
            _ => StatusCode::Unset,
        };
        status.message = take(tags, names::OTEL_STATUS_DESCRIPTION).unwrap_or_default();
    }
    if let Some(error) = take(tags, names::ERROR) {
        status.code = StatusCode::Error;
        if status.message.is_empty() && error != "true" {
            status.message = error;
        }
    }
    status
}

fn add_endpoint(out: &mut Vec<KeyValue>, endpoint: &Endpoint, ip_key: &str, port_key: &str) {
    // Zipkin prefers ipv4 for mapped addresses; ipv6 wins when both are given, as in the
    // OpenTelemetry Collector.
    let ip = endpoint
        .ipv6
        .map(|ip| ip.to_string())
        .or_else(|| endpoint.ipv4.map(|ip| ip.to_string()));
    if let Some(ip) = ip {
        out.push(string(ip_key, ip));
    }
    if let Some(port) = endpoint.port {
        out.push(KeyValue {
            key: port_key.to_owned(),
            value: Some(AnyValue {
                value: Some(Value::IntValue(i64::from(port))),
            }),
            ..Default::default()
        });
    }
}

/// Removes a tag and returns its value.
fn take(tags: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let index = tags.iter().position(|(k, _)| k == key)?;
    Some(tags.remove(index).1)
}

fn string(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value)),
        }),
        ..Default::default()
    }
}

fn micros_to_nanos(micros: u64) -> u64 {
    micros.saturating_mul(1_000)
}
