//! The Jaeger query API's JSON model, field for field as the Jaeger UI reads it.

use std::collections::BTreeMap;

use serde::Serialize;

/// The envelope around every Jaeger API answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope<T> {
    /// The payload; `null` on errors.
    pub data: Option<T>,
    /// Number of items in `data`.
    pub total: usize,
    /// Always 0: the API does not page.
    pub limit: usize,
    /// Always 0: the API does not page.
    pub offset: usize,
    /// `null` on success.
    pub errors: Option<Vec<ApiError>>,
}

impl<T> Envelope<T> {
    /// A successful answer holding `total` items.
    pub fn ok(data: T, total: usize) -> Self {
        Self {
            data: Some(data),
            total,
            limit: 0,
            offset: 0,
            errors: None,
        }
    }

    /// A failed answer with one error.
    pub fn error(code: u16, msg: String) -> Self {
        Self {
            data: None,
            total: 0,
            limit: 0,
            offset: 0,
            errors: Some(vec![ApiError {
                code: Some(code),
                msg,
                trace_id: None,
            }]),
        }
    }

    /// Adds per-item errors (e.g. trace ids not found) to a successful answer.
    pub fn with_errors(mut self, errors: Vec<ApiError>) -> Self {
        if !errors.is_empty() {
            self.errors = Some(errors);
        }
        self
    }
}

/// One entry of the envelope's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The HTTP status code; absent for per-trace errors of a successful answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// What went wrong.
    pub msg: String,
    /// The trace the error is about, if any.
    #[serde(rename = "traceID", skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// An operation of `/api/operations`: a span name and the kind of its spans (`""` when
/// unspecified), `ui.Operation` in jaeger's `model/json/model.go`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JaegerOperation {
    /// The span name.
    pub name: String,
    /// `server`, `client`, `producer`, `consumer`, `internal` or `""`.
    pub span_kind: &'static str,
}

/// A service-to-service edge of `/api/dependencies` (`DependencyLink`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyLink {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// Calls seen in the window.
    pub call_count: u64,
}

/// A whole trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JaegerTrace {
    /// 32 lowercase hex digits.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// The spans, by start time.
    pub spans: Vec<JaegerSpan>,
    /// Every process a span refers to, by `processID`.
    pub processes: BTreeMap<String, JaegerProcess>,
    /// Always `null`.
    pub warnings: Option<Vec<String>>,
}

/// One span.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JaegerSpan {
    /// 32 lowercase hex digits.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// 16 lowercase hex digits.
    #[serde(rename = "spanID")]
    pub span_id: String,
    /// The span name.
    pub operation_name: String,
    /// The parent first (`CHILD_OF`); empty for a root.
    pub references: Vec<JaegerReference>,
    /// Trace flags; 1 = sampled.
    pub flags: u32,
    /// Microseconds since the Unix epoch.
    pub start_time: u64,
    /// Microseconds.
    pub duration: u64,
    /// Span attributes plus the derived `span.kind`, `otel.status_*` and `error` tags.
    pub tags: Vec<JaegerTag>,
    /// Span events.
    pub logs: Vec<JaegerLog>,
    /// Key into the trace's `processes`.
    #[serde(rename = "processID")]
    pub process_id: String,
    /// Problems found while adjusting the trace (clock skew, duplicate or missing ids), as
    /// the Jaeger UI shows them; `null` when there are none.
    pub warnings: Option<Vec<String>>,
}

/// A reference to another span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JaegerReference {
    /// `CHILD_OF` or `FOLLOWS_FROM`.
    pub ref_type: &'static str,
    /// Trace of the referenced span.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// The referenced span.
    #[serde(rename = "spanID")]
    pub span_id: String,
}

/// A typed key/value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JaegerTag {
    /// Attribute key.
    pub key: String,
    /// `string`, `bool`, `int64` or `float64`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The value, of the JSON type matching `kind`.
    pub value: serde_json::Value,
}

/// A timestamped log (an OTLP span event).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JaegerLog {
    /// Microseconds since the Unix epoch.
    pub timestamp: u64,
    /// `event` (the event name) then the event attributes.
    pub fields: Vec<JaegerTag>,
}

/// The process (service and resource) that emitted spans.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JaegerProcess {
    /// The `service.name`.
    pub service_name: String,
    /// The other resource attributes.
    pub tags: Vec<JaegerTag>,
}
