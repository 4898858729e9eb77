//! The labels a span is aggregated under: its kind and its status class, both closed sets
//! with fixed label values, derived once per span.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

use crate::store::StoredSpan;

/// Attribute holding the HTTP response status (OpenTelemetry semantic conventions >= 1.23).
const HTTP_STATUS: &str = "http.response.status_code";
/// The same before 1.23, and what Zipkin instrumentation writes.
const HTTP_STATUS_LEGACY: &str = "http.status_code";

/// The `span_kind` label of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KindLabel {
    /// The span did not say.
    Unspecified,
    /// Work inside a service.
    Internal,
    /// The receiving side of a call.
    Server,
    /// The calling side of a call.
    Client,
    /// A message sent.
    Producer,
    /// A message received.
    Consumer,
}

impl KindLabel {
    /// The kind of a stored span.
    pub fn of(kind: SpanKind) -> Self {
        match kind {
            SpanKind::Unspecified => Self::Unspecified,
            SpanKind::Internal => Self::Internal,
            SpanKind::Server => Self::Server,
            SpanKind::Client => Self::Client,
            SpanKind::Producer => Self::Producer,
            SpanKind::Consumer => Self::Consumer,
        }
    }

    /// The `span_kind` label value.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Internal => "internal",
            Self::Server => "server",
            Self::Client => "client",
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        }
    }

    /// Parses a label value back (for API filters).
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Unspecified,
            Self::Internal,
            Self::Server,
            Self::Client,
            Self::Producer,
            Self::Consumer,
        ]
        .into_iter()
        .find(|k| k.label() == text)
    }
}

/// The `status_class` label of a span: the HTTP status class when the span carries an HTTP
/// response status, otherwise the span status reduced to ok or error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusClass {
    /// HTTP 1xx-2xx (folded together, as the sidecar's metrics do).
    Http2xx,
    /// HTTP 3xx.
    Http3xx,
    /// HTTP 4xx.
    Http4xx,
    /// HTTP 5xx.
    Http5xx,
    /// No HTTP status; span status unset or ok.
    Ok,
    /// No HTTP status; span status error.
    Error,
}

impl StatusClass {
    /// The class of a span: its HTTP status attribute if any, else its status code.
    pub fn of(span: &StoredSpan) -> Self {
        match http_status(span) {
            Some(100..=299) => Self::Http2xx,
            Some(300..=399) => Self::Http3xx,
            Some(400..=499) => Self::Http4xx,
            Some(500..=599) => Self::Http5xx,
            _ if span.status.code == StatusCode::Error => Self::Error,
            _ => Self::Ok,
        }
    }

    /// The `status_class` label value.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Http2xx => "2xx",
            Self::Http3xx => "3xx",
            Self::Http4xx => "4xx",
            Self::Http5xx => "5xx",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// Whether the span counts as a failed request: its status is error. (A 4xx on a server span
/// is the caller's fault and, per the OpenTelemetry HTTP conventions, not an error there.)
pub fn is_error(span: &StoredSpan) -> bool {
    span.status.code == StatusCode::Error
}

/// The HTTP response status attribute, as an integer or a decimal string (Zipkin tags).
fn http_status(span: &StoredSpan) -> Option<i64> {
    let attribute = span
        .attributes
        .iter()
        .find(|kv| kv.key == HTTP_STATUS || kv.key == HTTP_STATUS_LEGACY)?;
    match attribute.value.as_ref()?.value.as_ref()? {
        Value::IntValue(code) => Some(*code),
        Value::StringValue(text) => text.trim().parse().ok(),
        _ => None,
    }
}
