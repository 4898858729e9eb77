//! The collector's spans as tail policies read them (`sampler::tail::{SpanView, TraceView}`).

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use sampler::TraceId;
use sampler::tail::{AttrValue, SpanStatus, SpanView, TraceView};

use super::compact::BufferedSpan;
use crate::store::StoredSpan;

pub(super) fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<AttrValue<'a>> {
    let value = attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match value {
        Value::StringValue(s) => AttrValue::Str(s),
        Value::BoolValue(b) => AttrValue::Bool(*b),
        Value::IntValue(i) => AttrValue::Int(*i),
        Value::DoubleValue(d) => AttrValue::Double(*d),
        _ => AttrValue::Other,
    })
}

fn attributes_size(attributes: &[KeyValue]) -> usize {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.len(),
                Some(Value::BytesValue(b)) => b.len(),
                _ => 9,
            };
            kv.key.len() + value + 6
        })
        .sum()
}

/// Approximate OTLP protobuf size of a span: what `bytes_limiting` and the buffer's byte
/// budget count. Fields with fixed sizes are counted at their encoded size, strings at their
/// length, plus a few bytes of framing each.
pub fn span_size(span: &StoredSpan) -> usize {
    const FIXED: usize = 18 + 10 + 10 + 2 + 10 + 10 + 12;
    FIXED
        + span.name.len()
        + span.trace_state.len()
        + attributes_size(&span.attributes)
        + span.status.message.len()
        + span
            .events
            .iter()
            .map(|e| 12 + e.name.len() + attributes_size(&e.attributes))
            .sum::<usize>()
}

impl SpanView for StoredSpan {
    fn trace_state(&self) -> &str {
        &self.trace_state
    }

    fn status(&self) -> SpanStatus {
        match self.status.code {
            StatusCode::Unset => SpanStatus::Unset,
            StatusCode::Ok => SpanStatus::Ok,
            StatusCode::Error => SpanStatus::Error,
        }
    }

    fn start_unix_nano(&self) -> u64 {
        self.start_unix_nano
    }

    fn end_unix_nano(&self) -> u64 {
        self.end_unix_nano
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        find(&self.attributes, key)
    }

    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        if key == "service.name" {
            return Some(AttrValue::Str(&self.service));
        }
        find(&self.resource, key)
    }

    fn size_bytes(&self) -> usize {
        span_size(self)
    }
}

/// A buffered trace, as policies see it.
pub(super) struct PendingView<'a> {
    pub trace_id: TraceId,
    pub spans: &'a [BufferedSpan],
    pub bytes: u64,
}

impl TraceView for PendingView<'_> {
    fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    fn spans(&self) -> impl Iterator<Item = impl SpanView + '_> + '_ {
        self.spans.iter()
    }

    fn span_count(&self) -> u64 {
        self.spans.len() as u64
    }

    fn size_bytes(&self) -> u64 {
        self.bytes
    }
}
