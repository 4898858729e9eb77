//! One span under construction, turned into an OTLP span when the exchange ends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{Span, Status, span::SpanKind, status::StatusCode};
use sampler::{SpanContext, SpanId};

use super::Direction;

/// How an exchange ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The upstream answered with this status code.
    Response(u16),
    /// The upstream could not be reached or failed mid-exchange.
    TransportError(String),
}

/// A recorded span before it ends.
#[derive(Debug)]
pub struct SpanRecord {
    span: Span,
}

/// Attributes a span can carry: method, path, route, peer host and port, request id, sampler
/// type and parameter, status code (or error type). Reserved up front so the list grows once.
const MAX_ATTRIBUTES: usize = 10;

/// One OTLP attribute.
pub(crate) fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// `"{METHOD} {route}"`, the span name: the route template when known, else the path.
fn span_name(method: &http::Method, path: &str) -> String {
    let method = method.as_str();
    let mut name = String::with_capacity(method.len() + 1 + path.len());
    name.push_str(method);
    name.push(' ');
    name.push_str(path);
    name
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl SpanRecord {
    /// Starts a span for `context` (whose parent is `parent`) at `start`, for a request on
    /// `path` whose route template is `route` when known.
    pub fn new(
        context: &SpanContext,
        parent: Option<SpanId>,
        kind: SpanKind,
        method: &http::Method,
        path: &str,
        route: Option<&str>,
        start: SystemTime,
    ) -> Self {
        let mut attributes = Vec::with_capacity(MAX_ATTRIBUTES);
        attributes.push(kv(
            "http.request.method",
            Value::StringValue(method.as_str().to_owned()),
        ));
        attributes.push(kv("url.path", Value::StringValue(path.to_owned())));
        if let Some(route) = route {
            attributes.push(kv("http.route", Value::StringValue(route.to_owned())));
        }
        let span = Span {
            trace_id: context.trace_id.to_bytes().to_vec(),
            span_id: context.span_id.to_bytes().to_vec(),
            trace_state: context.trace_state.as_str().to_owned(),
            parent_span_id: parent.map(|p| p.to_bytes().to_vec()).unwrap_or_default(),
            flags: u32::from(context.flags().to_byte()),
            name: span_name(method, route.unwrap_or(path)),
            kind: kind as i32,
            start_time_unix_nano: unix_nanos(start),
            attributes,
            ..Span::default()
        };
        Self { span }
    }

    /// Records the other side: the caller (inbound) or the destination (outbound).
    pub fn set_peer(&mut self, direction: Direction, host: String, port: Option<u16>) {
        let (host_key, port_key) = match direction {
            Direction::Inbound => ("network.peer.address", "network.peer.port"),
            Direction::Outbound => ("server.address", "server.port"),
        };
        self.span
            .attributes
            .push(kv(host_key, Value::StringValue(host)));
        if let Some(port) = port {
            self.span
                .attributes
                .push(kv(port_key, Value::IntValue(i64::from(port))));
        }
    }

    /// Records the `x-request-id` (Envoy's tag name).
    pub fn set_request_id(&mut self, id: &str) {
        self.span
            .attributes
            .push(kv("guid:x-request-id", Value::StringValue(id.to_owned())));
    }

    /// Records the sampler that made a root decision (what Jaeger's adaptive sampling reads).
    pub fn set_sampler(&mut self, kind: &str, param: f64) {
        self.span
            .attributes
            .push(kv("sampler.type", Value::StringValue(kind.to_owned())));
        self.span
            .attributes
            .push(kv("sampler.param", Value::DoubleValue(param)));
    }

    /// Ends the span `elapsed` after it started.
    pub fn finish(mut self, outcome: Outcome, elapsed: Duration) -> Span {
        let elapsed = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.span.end_time_unix_nano = self.span.start_time_unix_nano.saturating_add(elapsed);
        let is_server = self.span.kind == SpanKind::Server as i32;
        match outcome {
            Outcome::Response(code) => {
                self.span.attributes.push(kv(
                    "http.response.status_code",
                    Value::IntValue(i64::from(code)),
                ));
                // OpenTelemetry HTTP conventions: 5xx is an error on both sides, 4xx only for
                // the client.
                if code >= 500 || (!is_server && code >= 400) {
                    self.span.status = Some(Status {
                        code: StatusCode::Error as i32,
                        message: String::new(),
                    });
                }
            }
            Outcome::TransportError(message) => {
                self.span
                    .attributes
                    .push(kv("error.type", Value::StringValue("transport".into())));
                self.span.status = Some(Status {
                    code: StatusCode::Error as i32,
                    message,
                });
            }
        }
        self.span
    }
}
