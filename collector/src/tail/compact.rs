//! Spans as the buffer holds them while they wait for a decision: the fixed fields as they
//! are, the three strings (name, `tracestate`, status message) in one allocation and the
//! attributes packed into another. A decoded OTLP span spends two or more allocations per
//! attribute and a 64-byte `KeyValue` each (a `Vec` grown by doubling); packed, an attribute
//! costs its key and value bytes plus 9. Kept spans are unpacked at decision time; dropped
//! ones (most of them) are freed as two blocks.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message;
use sampler::tail::{AttrValue, SpanStatus as PolicyStatus, SpanView};

use super::view::find;
use crate::store::{SpanStatus, StoredSpan};

/// The kinds of packed values.
mod kind {
    pub const STR: u8 = 0;
    pub const BOOL: u8 = 1;
    pub const INT: u8 = 2;
    pub const DOUBLE: u8 = 3;
    /// Arrays, lists, bytes: the `AnyValue` protobuf-encoded.
    pub const OTHER: u8 = 4;
    /// `value: None`.
    pub const NONE: u8 = 5;
    /// `value: Some(AnyValue { value: None })`.
    pub const EMPTY: u8 = 6;
    /// Flag: a `key_strindex` (profiling only; a trace never should have one) follows the
    /// value as 4 bytes.
    pub const STRINDEX: u8 = 0x80;
}

/// Attributes packed into one allocation: per attribute the key's length (u32, little
/// endian), the key, a kind byte, the value's length (u32) and the value (and, rarely, a
/// `key_strindex`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PackedAttributes(Box<[u8]>);

/// One packed attribute.
struct Entry<'a> {
    key: &'a [u8],
    kind: u8,
    value: &'a [u8],
    key_strindex: i32,
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths come from one decoded request (bounded by `max_request_bytes`, far below 4 GiB).
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

fn packed_value(kv: &KeyValue) -> (u8, Vec<u8>) {
    let Some(any) = &kv.value else {
        return (kind::NONE, Vec::new());
    };
    match &any.value {
        None => (kind::EMPTY, Vec::new()),
        Some(Value::BoolValue(b)) => (kind::BOOL, vec![u8::from(*b)]),
        Some(Value::IntValue(i)) => (kind::INT, i.to_le_bytes().to_vec()),
        Some(Value::DoubleValue(d)) => (kind::DOUBLE, d.to_le_bytes().to_vec()),
        Some(_) => (kind::OTHER, any.encode_to_vec()),
    }
}

impl PackedAttributes {
    /// Packs `attributes` (their order kept).
    pub(super) fn pack(attributes: &[KeyValue]) -> Self {
        let size: usize = attributes
            .iter()
            .map(|kv| 9 + kv.key.len() + value_len(kv))
            .sum();
        let mut out = Vec::with_capacity(size);
        for kv in attributes {
            if let (
                0,
                Some(AnyValue {
                    value: Some(Value::StringValue(s)),
                }),
            ) = (kv.key_strindex, &kv.value)
            {
                put(&mut out, kv.key.as_bytes());
                out.push(kind::STR);
                put(&mut out, s.as_bytes());
                continue;
            }
            let (packed_kind, value) = packed_value(kv);
            put(&mut out, kv.key.as_bytes());
            if kv.key_strindex == 0 {
                out.push(packed_kind);
                put(&mut out, &value);
            } else {
                out.push(packed_kind | kind::STRINDEX);
                put(&mut out, &value);
                out.extend_from_slice(&kv.key_strindex.to_le_bytes());
            }
        }
        Self(out.into_boxed_slice())
    }

    fn entries(&self) -> Entries<'_> {
        Entries(&self.0)
    }

    /// The first attribute named `key`, as policies read it.
    pub(super) fn get(&self, key: &str) -> Option<AttrValue<'_>> {
        let entry = self.entries().find(|e| e.key == key.as_bytes())?;
        match entry.kind & !kind::STRINDEX {
            kind::STR => std::str::from_utf8(entry.value).ok().map(AttrValue::Str),
            kind::BOOL => Some(AttrValue::Bool(
                entry.value.first().is_some_and(|b| *b != 0),
            )),
            kind::INT => Some(AttrValue::Int(i64::from_le_bytes(eight(entry.value)))),
            kind::DOUBLE => Some(AttrValue::Double(f64::from_le_bytes(eight(entry.value)))),
            kind::OTHER => Some(AttrValue::Other),
            _ => None,
        }
    }

    /// The attributes as they were packed.
    pub(super) fn unpack(&self) -> Vec<KeyValue> {
        self.entries().map(unpack_entry).collect()
    }
}

fn value_len(kv: &KeyValue) -> usize {
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.len(),
        Some(Value::BoolValue(_)) => 1,
        Some(Value::IntValue(_) | Value::DoubleValue(_)) => 8,
        _ => 0,
    }
}

fn eight(bytes: &[u8]) -> [u8; 8] {
    <[u8; 8]>::try_from(bytes).unwrap_or_default()
}

fn unpack_entry(entry: Entry<'_>) -> KeyValue {
    let key = String::from_utf8_lossy(entry.key).into_owned();
    let value = |value| Some(AnyValue { value: Some(value) });
    let value = match entry.kind & !kind::STRINDEX {
        kind::STR => value(Value::StringValue(
            String::from_utf8_lossy(entry.value).into_owned(),
        )),
        kind::BOOL => value(Value::BoolValue(
            entry.value.first().is_some_and(|b| *b != 0),
        )),
        kind::INT => value(Value::IntValue(i64::from_le_bytes(eight(entry.value)))),
        kind::DOUBLE => value(Value::DoubleValue(f64::from_le_bytes(eight(entry.value)))),
        kind::OTHER => Some(AnyValue::decode(entry.value).unwrap_or_default()),
        kind::EMPTY => Some(AnyValue { value: None }),
        _ => None,
    };
    KeyValue {
        key,
        value,
        key_strindex: entry.key_strindex,
    }
}

/// Walks packed attributes; stops at the first malformed entry (none are: this module
/// writes them).
struct Entries<'a>(&'a [u8]);

impl<'a> Entries<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn take_len(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(<[u8; 4]>::try_from(self.take(4)?).ok()?);
        self.take(usize::try_from(len).ok()?)
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let key = self.take_len()?;
        let kind = *self.take(1)?.first()?;
        let value = self.take_len()?;
        let key_strindex = if kind & kind::STRINDEX == 0 {
            0
        } else {
            i32::from_le_bytes(<[u8; 4]>::try_from(self.take(4)?).ok()?)
        };
        Some(Entry {
            key,
            kind,
            value,
            key_strindex,
        })
    }
}

/// A span waiting in the buffer.
#[derive(Debug)]
pub(super) struct BufferedSpan {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent_span_id: Option<[u8; 8]>,
    kind: SpanKind,
    status: StatusCode,
    /// Where the name ends and the `tracestate` ends in `text`; the status message follows.
    name_end: u32,
    state_end: u32,
    start_unix_nano: u64,
    end_unix_nano: u64,
    service: Arc<str>,
    resource: Arc<[KeyValue]>,
    text: Box<str>,
    attributes: PackedAttributes,
    /// Events are rare on mesh spans; kept as they came.
    events: Box<[crate::store::SpanEvent]>,
    /// [`super::view::span_size`] of the span, taken before packing.
    size: usize,
}

impl BufferedSpan {
    /// Packs `span`, whose [`super::view::span_size`] is `size`.
    pub(super) fn pack(span: StoredSpan, size: usize) -> Self {
        let mut text = String::with_capacity(
            span.name.len() + span.trace_state.len() + span.status.message.len(),
        );
        text.push_str(&span.name);
        let name_end = text.len();
        text.push_str(&span.trace_state);
        let state_end = text.len();
        text.push_str(&span.status.message);
        Self {
            trace_id: span.trace_id,
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            kind: span.kind,
            status: span.status.code,
            // The text comes from one decoded request, far below 4 GiB.
            name_end: u32::try_from(name_end).unwrap_or(u32::MAX),
            state_end: u32::try_from(state_end).unwrap_or(u32::MAX),
            start_unix_nano: span.start_unix_nano,
            end_unix_nano: span.end_unix_nano,
            service: span.service,
            resource: span.resource,
            text: text.into_boxed_str(),
            attributes: PackedAttributes::pack(&span.attributes),
            events: span.events.into_boxed_slice(),
            size,
        }
    }

    fn text(&self, from: u32, to: Option<u32>) -> &str {
        let from = from as usize;
        match to {
            Some(to) => self.text.get(from..to as usize),
            None => self.text.get(from..),
        }
        .unwrap_or_default()
    }

    /// The span as the store and exporters take it.
    pub(super) fn unpack(self) -> StoredSpan {
        StoredSpan {
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            trace_state: self.text(self.name_end, Some(self.state_end)).to_owned(),
            name: self.text(0, Some(self.name_end)).to_owned(),
            kind: self.kind,
            start_unix_nano: self.start_unix_nano,
            end_unix_nano: self.end_unix_nano,
            attributes: self.attributes.unpack(),
            status: SpanStatus {
                code: self.status,
                message: self.text(self.state_end, None).to_owned(),
            },
            service: self.service,
            resource: self.resource,
            events: self.events.into_vec(),
        }
    }
}

impl SpanView for BufferedSpan {
    fn trace_state(&self) -> &str {
        self.text(self.name_end, Some(self.state_end))
    }

    fn status(&self) -> PolicyStatus {
        match self.status {
            StatusCode::Unset => PolicyStatus::Unset,
            StatusCode::Ok => PolicyStatus::Ok,
            StatusCode::Error => PolicyStatus::Error,
        }
    }

    fn start_unix_nano(&self) -> u64 {
        self.start_unix_nano
    }

    fn end_unix_nano(&self) -> u64 {
        self.end_unix_nano
    }

    fn name(&self) -> &str {
        self.text(0, Some(self.name_end))
    }

    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        self.attributes.get(key)
    }

    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        if key == "service.name" {
            return Some(AttrValue::Str(&self.service));
        }
        find(&self.resource, key)
    }

    fn size_bytes(&self) -> usize {
        self.size
    }
}

#[cfg(test)]
mod tests;
