//! One span under construction, encoded as an OTLP `Span` as it is recorded: the identity,
//! name and request attributes when the request starts, the end time, status and response
//! attributes when the exchange ends. The result is one buffer per span, ready to be placed in
//! an export request as is (see [`crate::export::wire`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value as OtlpValue};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};
use sampler::{SpanContext, SpanId};

use super::Direction;
use crate::export::EncodedSpan;
use crate::export::wire::{self, Value};

/// How an exchange ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The upstream answered with this status code.
    Response(u16),
    /// The upstream could not be reached or failed mid-exchange.
    TransportError(String),
}

/// OTLP `Span` field numbers.
mod field {
    pub(super) const TRACE_ID: u32 = 1;
    pub(super) const SPAN_ID: u32 = 2;
    pub(super) const TRACE_STATE: u32 = 3;
    pub(super) const PARENT_SPAN_ID: u32 = 4;
    pub(super) const NAME: u32 = 5;
    pub(super) const KIND: u32 = 6;
    pub(super) const START: u32 = 7;
    pub(super) const END: u32 = 8;
    pub(super) const ATTRIBUTES: u32 = 9;
    pub(super) const STATUS: u32 = 15;
    pub(super) const FLAGS: u32 = 16;
    /// `Status.message`, `Status.code`.
    pub(super) const STATUS_MESSAGE: u32 = 2;
    pub(super) const STATUS_CODE: u32 = 3;
}

/// Room for a typical span (ids, name, ten attributes) so the buffer grows at most once.
const TYPICAL_SPAN_BYTES: usize = 384;

/// A recorded span before it ends.
#[derive(Debug)]
pub struct SpanRecord {
    buf: Vec<u8>,
    start_nanos: u64,
    is_server: bool,
}

/// One OTLP attribute, as a struct (for the resource, encoded once).
pub(crate) fn kv(key: &str, value: OtlpValue) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl SpanRecord {
    /// Starts a span for `context` (whose parent is `parent`) at `start`, for a request on
    /// `path` whose route template is `route` when known. Its name is `"{METHOD} {route}"`:
    /// the route template when known, else the path.
    pub fn new(
        context: &SpanContext,
        parent: Option<SpanId>,
        kind: SpanKind,
        method: &http::Method,
        path: &str,
        route: Option<&str>,
        start: SystemTime,
    ) -> Self {
        let mut buf = Vec::with_capacity(TYPICAL_SPAN_BYTES);
        wire::bytes(&mut buf, field::TRACE_ID, &context.trace_id.to_bytes());
        wire::bytes(&mut buf, field::SPAN_ID, &context.span_id.to_bytes());
        let trace_state = context.trace_state.as_str();
        wire::bytes(&mut buf, field::TRACE_STATE, trace_state.as_bytes());
        if let Some(parent) = parent {
            wire::bytes(&mut buf, field::PARENT_SPAN_ID, &parent.to_bytes());
        }
        wire::fixed32(&mut buf, field::FLAGS, u32::from(context.flags().to_byte()));
        let (method, named) = (method.as_str(), route.unwrap_or(path));
        wire::len_prefix(&mut buf, field::NAME, method.len() + 1 + named.len());
        buf.extend_from_slice(method.as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(named.as_bytes());
        wire::uint(&mut buf, field::KIND, kind as u64);
        let start_nanos = unix_nanos(start);
        wire::fixed64(&mut buf, field::START, start_nanos);
        let mut record = Self {
            buf,
            start_nanos,
            is_server: kind == SpanKind::Server,
        };
        record.attribute("http.request.method", Value::Str(method));
        record.attribute("url.path", Value::Str(path));
        if let Some(route) = route {
            record.attribute("http.route", Value::Str(route));
        }
        record
    }

    fn attribute(&mut self, name: &str, value: Value<'_>) {
        wire::attribute(&mut self.buf, field::ATTRIBUTES, name, value);
    }

    /// Records the other side: the caller (inbound) or the destination (outbound).
    pub fn set_peer(&mut self, direction: Direction, host: &str, port: Option<u16>) {
        let (host_key, port_key) = match direction {
            Direction::Inbound => ("network.peer.address", "network.peer.port"),
            Direction::Outbound => ("server.address", "server.port"),
        };
        self.attribute(host_key, Value::Str(host));
        if let Some(port) = port {
            self.attribute(port_key, Value::Int(i64::from(port)));
        }
    }

    /// Records the `x-request-id` (Envoy's tag name).
    pub fn set_request_id(&mut self, id: &str) {
        self.attribute("guid:x-request-id", Value::Str(id));
    }

    /// Records the sampler that made a root decision (what Jaeger's adaptive sampling reads).
    pub fn set_sampler(&mut self, kind: &str, param: f64) {
        self.attribute("sampler.type", Value::Str(kind));
        self.attribute("sampler.param", Value::Double(param));
    }

    /// Ends the span `elapsed` after it started.
    pub fn finish(mut self, outcome: Outcome, elapsed: Duration) -> EncodedSpan {
        let elapsed = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let end = self.start_nanos.saturating_add(elapsed);
        wire::fixed64(&mut self.buf, field::END, end);
        let error_message = match outcome {
            Outcome::Response(code) => {
                self.attribute("http.response.status_code", Value::Int(i64::from(code)));
                // OpenTelemetry HTTP conventions: 5xx is an error on both sides, 4xx only for
                // the client.
                (code >= 500 || (!self.is_server && code >= 400)).then(String::new)
            }
            Outcome::TransportError(message) => {
                self.attribute("error.type", Value::Str("transport"));
                Some(message)
            }
        };
        if let Some(message) = error_message {
            let message_len = match message.len() {
                0 => 0,
                n => 1 + wire::varint_len(n as u64) + n,
            };
            wire::len_prefix(&mut self.buf, field::STATUS, message_len + 2);
            wire::bytes(&mut self.buf, field::STATUS_MESSAGE, message.as_bytes());
            wire::uint(&mut self.buf, field::STATUS_CODE, StatusCode::Error as u64);
        }
        EncodedSpan::new(self.buf)
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::trace::v1::{Span, Status};
    use prost::Message;
    use sampler::{SamplingState, TraceId, TraceState};

    use super::*;

    fn context() -> SpanContext {
        SpanContext {
            trace_id: TraceId::from_bytes([7; 16]).unwrap(),
            span_id: SpanId::from_bytes([9; 8]).unwrap(),
            sampling: SamplingState::Sampled,
            random: true,
            trace_state: TraceState::default(),
        }
    }

    fn decode(span: EncodedSpan) -> Span {
        Span::decode(span.as_bytes()).unwrap()
    }

    fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a OtlpValue> {
        let kv = span.attributes.iter().find(|kv| kv.key == key)?;
        kv.value.as_ref()?.value.as_ref()
    }

    #[test]
    fn a_server_span_decodes_with_every_field() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let parent = SpanId::from_bytes([3; 8]);
        let mut record = SpanRecord::new(
            &context(),
            parent,
            SpanKind::Server,
            &http::Method::GET,
            "/reviews/1",
            Some("/reviews/{id}"),
            start,
        );
        record.set_peer(Direction::Inbound, "10.0.0.7", Some(5000));
        record.set_request_id("abc");
        record.set_sampler("probabilistic", 0.5);
        let span = decode(record.finish(Outcome::Response(503), Duration::from_millis(2)));
        assert_eq!(span.trace_id, [7; 16]);
        assert_eq!(span.span_id, [9; 8]);
        assert_eq!(span.parent_span_id, [3; 8]);
        assert_eq!(span.name, "GET /reviews/{id}");
        assert_eq!(span.kind, SpanKind::Server as i32);
        assert_eq!(span.flags, u32::from(context().flags().to_byte()));
        assert_eq!(span.start_time_unix_nano, 1_700_000_000_000_000_000);
        assert_eq!(
            span.end_time_unix_nano - span.start_time_unix_nano,
            2_000_000
        );
        let str = |s: &str| Some(OtlpValue::StringValue(s.into()));
        assert_eq!(attribute(&span, "http.request.method").cloned(), str("GET"));
        assert_eq!(attribute(&span, "url.path").cloned(), str("/reviews/1"));
        assert_eq!(
            attribute(&span, "http.route").cloned(),
            str("/reviews/{id}")
        );
        assert_eq!(
            attribute(&span, "network.peer.address").cloned(),
            str("10.0.0.7")
        );
        assert_eq!(
            attribute(&span, "network.peer.port"),
            Some(&OtlpValue::IntValue(5000))
        );
        assert_eq!(attribute(&span, "guid:x-request-id").cloned(), str("abc"));
        assert_eq!(
            attribute(&span, "sampler.param"),
            Some(&OtlpValue::DoubleValue(0.5))
        );
        assert_eq!(
            attribute(&span, "http.response.status_code"),
            Some(&OtlpValue::IntValue(503))
        );
        assert_eq!(
            span.status,
            Some(Status {
                code: StatusCode::Error as i32,
                message: String::new()
            })
        );
        assert_eq!(span.attributes.len(), 9);
    }

    #[test]
    fn status_follows_the_http_conventions() {
        let span = |kind, outcome| {
            let record = SpanRecord::new(
                &context(),
                None,
                kind,
                &http::Method::POST,
                "/x",
                None,
                SystemTime::now(),
            );
            decode(record.finish(outcome, Duration::ZERO))
        };
        let client_404 = span(SpanKind::Client, Outcome::Response(404));
        assert_eq!(client_404.name, "POST /x");
        assert!(client_404.parent_span_id.is_empty());
        assert_eq!(
            client_404.status.map(|s| s.code),
            Some(StatusCode::Error as i32)
        );
        assert_eq!(span(SpanKind::Server, Outcome::Response(404)).status, None);
        let failed = span(SpanKind::Client, Outcome::TransportError("refused".into()));
        assert_eq!(failed.status.as_ref().unwrap().message, "refused");
        assert_eq!(
            attribute(&failed, "error.type").cloned(),
            Some(OtlpValue::StringValue("transport".into()))
        );
    }
}
