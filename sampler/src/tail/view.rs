//! What a tail policy sees of a trace: read-only views the collector implements over its own
//! buffered span type, so policies never copy or allocate to evaluate.
//!
//! The shape follows what the OpenTelemetry Collector's policies read from `ptrace.Traces`
//! (`processor/tailsamplingprocessor/internal/sampling/util.go`: resource attributes, span
//! attributes, status, timestamps, `TraceState().AsRaw()`), flattened to one span at a time:
//! each span answers for its own resource.

use crate::TraceId;

/// A span's status code, as OTLP's `Status.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SpanStatus {
    /// No status was set (`STATUS_CODE_UNSET`).
    #[default]
    Unset,
    /// Explicitly successful (`STATUS_CODE_OK`).
    Ok,
    /// Failed (`STATUS_CODE_ERROR`).
    Error,
}

/// A borrowed attribute value. Only the scalar kinds are told apart; policies never look
/// inside arrays, maps or bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue<'a> {
    /// A string value.
    Str(&'a str),
    /// A boolean value.
    Bool(bool),
    /// A 64-bit integer value.
    Int(i64),
    /// A double value.
    Double(f64),
    /// An array, a map or bytes: present, but no policy matches on it.
    Other,
}

impl<'a> AttrValue<'a> {
    /// The string, if this is a string value.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean value.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// One span of a buffered trace, as tail policies read it.
pub trait SpanView {
    /// The span's raw W3C `tracestate` (empty when none).
    fn trace_state(&self) -> &str;
    /// The span's status code.
    fn status(&self) -> SpanStatus;
    /// Start time, nanoseconds since the Unix epoch.
    fn start_unix_nano(&self) -> u64;
    /// End time, nanoseconds since the Unix epoch.
    fn end_unix_nano(&self) -> u64;
    /// The span's name (operation).
    fn name(&self) -> &str;
    /// The span attribute `key`, if present.
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>>;
    /// The attribute `key` of the resource that produced this span, if present.
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>>;
    /// The span's size in bytes as `bytes_limiting` counts it (the collector's choice,
    /// typically the span's OTLP protobuf size).
    fn size_bytes(&self) -> usize;
}

impl<S: SpanView + ?Sized> SpanView for &S {
    fn trace_state(&self) -> &str {
        (**self).trace_state()
    }
    fn status(&self) -> SpanStatus {
        (**self).status()
    }
    fn start_unix_nano(&self) -> u64 {
        (**self).start_unix_nano()
    }
    fn end_unix_nano(&self) -> u64 {
        (**self).end_unix_nano()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        (**self).attribute(key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        (**self).resource_attribute(key)
    }
    fn size_bytes(&self) -> usize {
        (**self).size_bytes()
    }
}

/// A finished (or buffered) trace: its id and its spans.
pub trait TraceView {
    /// The trace id (its low 56 bits are the randomness when no span carries `ot=rv`).
    fn trace_id(&self) -> TraceId;

    /// Every span received for this trace, in any order.
    fn spans(&self) -> impl Iterator<Item = impl SpanView + '_> + '_;

    /// How many spans the trace has. Override when the buffer already counts them.
    fn span_count(&self) -> u64 {
        self.spans().count() as u64
    }

    /// The trace's size in bytes (the sum of [`SpanView::size_bytes`]). Override when the
    /// buffer already keeps the sum.
    fn size_bytes(&self) -> u64 {
        self.spans().map(|s| s.size_bytes() as u64).sum()
    }
}
