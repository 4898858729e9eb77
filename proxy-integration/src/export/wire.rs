//! The protobuf wire format, written by hand for the message the sidecar sends in bulk:
//! an OTLP span is encoded straight into one buffer on the worker that recorded it, instead of
//! building an `opentelemetry_proto` `Span` (a dozen small allocations, freed on the exporter's
//! thread) and encoding that later. Fields are written in any order, which protobuf allows.

/// Length-delimited wire type (bytes, strings, messages).
const LEN: u8 = 2;
/// Varint wire type.
const VARINT: u8 = 0;
/// 64-bit wire type.
const I64: u8 = 1;
/// 32-bit wire type.
const I32: u8 = 5;

/// How many bytes `v` takes as a varint.
pub(crate) fn varint_len(v: u64) -> usize {
    // 1 byte per 7 bits, at least one.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Appends `v` as a varint.
pub(crate) fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn key(buf: &mut Vec<u8>, field: u32, wire: u8) {
    varint(buf, (u64::from(field) << 3) | u64::from(wire));
}

/// Appends `field` as bytes or a string; nothing when empty (the proto3 default).
pub(crate) fn bytes(buf: &mut Vec<u8>, field: u32, value: &[u8]) {
    if !value.is_empty() {
        len_prefix(buf, field, value.len());
        buf.extend_from_slice(value);
    }
}

/// Appends the key and length of a length-delimited `field` of `len` bytes.
pub(crate) fn len_prefix(buf: &mut Vec<u8>, field: u32, len: usize) {
    key(buf, field, LEN);
    varint(buf, len as u64);
}

/// Appends `field` as a varint (enums, int64); nothing when zero.
pub(crate) fn uint(buf: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        key(buf, field, VARINT);
        varint(buf, value);
    }
}

/// Appends `field` as a fixed64; nothing when zero.
pub(crate) fn fixed64(buf: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        key(buf, field, I64);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// Appends `field` as a fixed32; nothing when zero.
pub(crate) fn fixed32(buf: &mut Vec<u8>, field: u32, value: u32) {
    if value != 0 {
        key(buf, field, I32);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// An OTLP attribute value (`AnyValue`), as the sidecar records them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// `string_value` (1).
    Str(&'a str),
    /// `int_value` (3).
    Int(i64),
    /// `double_value` (4).
    Double(f64),
}

impl Value<'_> {
    // A oneof member is written even when it holds its type's default, as prost does.
    fn encoded_len(&self) -> usize {
        match self {
            Value::Str(s) => 1 + varint_len(s.len() as u64) + s.len(),
            Value::Int(i) => 1 + varint_len(*i as u64),
            Value::Double(_) => 9,
        }
    }

    fn write(&self, buf: &mut Vec<u8>) {
        match self {
            Value::Str(s) => {
                len_prefix(buf, 1, s.len());
                buf.extend_from_slice(s.as_bytes());
            }
            Value::Int(i) => {
                key(buf, 3, VARINT);
                varint(buf, *i as u64);
            }
            Value::Double(d) => {
                key(buf, 4, I64);
                buf.extend_from_slice(&d.to_bits().to_le_bytes());
            }
        }
    }
}

/// Appends a `KeyValue` as repeated `field`.
pub(crate) fn attribute(buf: &mut Vec<u8>, field: u32, name: &str, value: Value<'_>) {
    let value_len = value.encoded_len();
    let key_len = 1 + varint_len(name.len() as u64) + name.len();
    // `value` is always present (an empty `AnyValue` still marks the attribute as set).
    let kv_len = key_len + 1 + varint_len(value_len as u64) + value_len;
    len_prefix(buf, field, kv_len);
    bytes(buf, 1, name.as_bytes());
    len_prefix(buf, 2, value_len);
    value.write(buf);
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use prost::Message;

    use super::*;

    #[test]
    fn varints_and_their_lengths_agree() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            varint(&mut buf, v);
            assert_eq!(buf.len(), varint_len(v), "{v}");
            assert_eq!(
                prost::encoding::decode_varint(&mut buf.as_slice()).unwrap(),
                v
            );
        }
    }

    #[test]
    fn attributes_decode_as_otlp_key_values() {
        let cases = [
            (
                Value::Str("GET"),
                any_value::Value::StringValue("GET".into()),
            ),
            (Value::Str(""), any_value::Value::StringValue(String::new())),
            (Value::Int(8080), any_value::Value::IntValue(8080)),
            (Value::Int(0), any_value::Value::IntValue(0)),
            (Value::Int(-1), any_value::Value::IntValue(-1)),
            (Value::Double(0.25), any_value::Value::DoubleValue(0.25)),
        ];
        for (value, want) in cases {
            let mut buf = Vec::new();
            attribute(&mut buf, 1, "k", value);
            // Read back as field 1 of a message: a `KeyValue` of its own.
            let mut body = &buf[..];
            let _key = prost::encoding::decode_varint(&mut body).unwrap();
            let len = prost::encoding::decode_varint(&mut body).unwrap() as usize;
            assert_eq!(len, body.len(), "{value:?}");
            let kv = KeyValue::decode(body).unwrap();
            assert_eq!(kv.key, "k");
            assert_eq!(kv.value, Some(AnyValue { value: Some(want) }), "{value:?}");
            // Byte for byte what prost writes.
            let mut prost_buf = Vec::new();
            prost::encoding::message::encode(1, &kv, &mut prost_buf);
            assert_eq!(buf, prost_buf, "{value:?}");
        }
    }
}
