//! A validating walk over an encoded `ExportTraceServiceRequest`, for pass-through: the
//! request is checked and its spans counted without decoding it into owned values, so the
//! received bytes can go to the exporters as they are.
//!
//! The walk accepts exactly what a prost decode of the generated
//! `opentelemetry-proto` types accepts: every nested message of the trace schema is entered
//! (attributes, events, links, any-values to prost's recursion limit of 100), every known
//! field must have its wire type, strings must be UTF-8, varints at most 10 bytes without
//! overflow, lengths within their message, and unknown fields (groups included) are
//! skipped as prost skips them. `tests.rs` checks the two agree on mutated requests. Each
//! span's ids go through [`check_ids`], the rule the decoding path applies.

use super::otlp::{SpanError, check_ids};

/// prost's recursion limit: messages nested deeper are refused.
const RECURSION_LIMIT: u32 = 100;

/// What the walk found in a well-formed request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scan {
    /// Every span in the request, valid or not.
    pub spans: usize,
    /// How many of them [`check_ids`] rejects.
    pub rejected: usize,
    /// The first rejection.
    pub first_error: Option<SpanError>,
}

/// Why a request is not a valid `ExportTraceServiceRequest` encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} in {message}")]
pub struct WireError {
    /// What is wrong.
    pub kind: WireErrorKind,
    /// The message being read, e.g. `Span`.
    pub message: &'static str,
}

/// The ways an encoding can be broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireErrorKind {
    /// A varint is truncated, longer than 10 bytes, or overflows 64 bits.
    #[error("invalid varint")]
    Varint,
    /// A field key is above `u32::MAX`, has field number 0 or wire type 6 or 7.
    #[error("invalid field key")]
    Key,
    /// A known field has the wrong wire type.
    #[error("field {0} has the wrong wire type")]
    WireType(u32),
    /// A length or fixed-size value runs past the end of its message.
    #[error("truncated field")]
    Truncated,
    /// A string field is not UTF-8.
    #[error("string field {0} is not UTF-8")]
    Utf8(u32),
    /// An end-group key without its start, or a group closed by another field's end.
    #[error("unexpected end-group tag")]
    EndGroup,
    /// Messages nest deeper than prost's recursion limit.
    #[error("recursion limit reached")]
    Recursion,
}

/// Checks `request` and counts its spans; `Err` when prost would not decode it.
pub fn scan(request: &[u8]) -> Result<Scan, WireError> {
    let mut scan = Scan::default();
    walk(Msg::Request, request, RECURSION_LIMIT, &mut scan)?;
    Ok(scan)
}

/// The messages of the trace schema (`opentelemetry/proto/{collector/trace,trace,common,
/// resource}/v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Request,
    ResourceSpans,
    Resource,
    EntityRef,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    Status,
    KeyValue,
    AnyValue,
    ArrayValue,
    KeyValueList,
}

/// A field's protobuf type, as far as validation cares.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// int32, uint32, int64, bool, enum.
    Varint,
    Fixed32,
    /// fixed64, double.
    Fixed64,
    Bytes,
    Str,
    Message(Msg),
}

impl Msg {
    fn name(self) -> &'static str {
        match self {
            Msg::Request => "ExportTraceServiceRequest",
            Msg::ResourceSpans => "ResourceSpans",
            Msg::Resource => "Resource",
            Msg::EntityRef => "EntityRef",
            Msg::ScopeSpans => "ScopeSpans",
            Msg::Scope => "InstrumentationScope",
            Msg::Span => "Span",
            Msg::Event => "Span.Event",
            Msg::Link => "Span.Link",
            Msg::Status => "Status",
            Msg::KeyValue => "KeyValue",
            Msg::AnyValue => "AnyValue",
            Msg::ArrayValue => "ArrayValue",
            Msg::KeyValueList => "KeyValueList",
        }
    }

    /// The type of field `tag`; `None` for a field the schema does not know.
    #[rustfmt::skip]
    fn field(self, tag: u32) -> Option<Kind> {
        use Kind::{Bytes, Fixed32, Fixed64, Message as M, Str, Varint};
        Some(match (self, tag) {
            (Msg::Request, 1) => M(Msg::ResourceSpans),
            (Msg::ResourceSpans, 1) => M(Msg::Resource),
            (Msg::ResourceSpans, 2) => M(Msg::ScopeSpans),
            (Msg::ResourceSpans | Msg::ScopeSpans, 3) => Str,
            (Msg::Resource, 1) => M(Msg::KeyValue),
            (Msg::Resource, 2) => Varint,
            (Msg::Resource, 3) => M(Msg::EntityRef),
            (Msg::EntityRef, 1..=4) => Str,
            (Msg::ScopeSpans, 1) => M(Msg::Scope),
            (Msg::ScopeSpans, 2) => M(Msg::Span),
            (Msg::Scope, 1 | 2) => Str,
            (Msg::Scope, 3) => M(Msg::KeyValue),
            (Msg::Scope, 4) => Varint,
            (Msg::Span, 1 | 2 | 4) => Bytes,
            (Msg::Span, 3 | 5) => Str,
            (Msg::Span, 6 | 10 | 12 | 14) => Varint,
            (Msg::Span, 7 | 8) => Fixed64,
            (Msg::Span, 9) => M(Msg::KeyValue),
            (Msg::Span, 11) => M(Msg::Event),
            (Msg::Span, 13) => M(Msg::Link),
            (Msg::Span, 15) => M(Msg::Status),
            (Msg::Span, 16) => Fixed32,
            (Msg::Event, 1) => Fixed64,
            (Msg::Event, 2) => Str,
            (Msg::Event, 3) => M(Msg::KeyValue),
            (Msg::Event, 4) => Varint,
            (Msg::Link, 1 | 2) => Bytes,
            (Msg::Link, 3) => Str,
            (Msg::Link, 4) => M(Msg::KeyValue),
            (Msg::Link, 5) => Varint,
            (Msg::Link, 6) => Fixed32,
            (Msg::Status, 2) => Str,
            (Msg::Status, 3) => Varint,
            (Msg::KeyValue, 1) => Str,
            (Msg::KeyValue, 2) => M(Msg::AnyValue),
            (Msg::KeyValue, 3) => Varint,
            (Msg::AnyValue, 1) => Str,
            (Msg::AnyValue, 2 | 3 | 8) => Varint,
            (Msg::AnyValue, 4) => Fixed64,
            (Msg::AnyValue, 5) => M(Msg::ArrayValue),
            (Msg::AnyValue, 6) => M(Msg::KeyValueList),
            (Msg::AnyValue, 7) => Bytes,
            (Msg::ArrayValue, 1) => M(Msg::AnyValue),
            (Msg::KeyValueList, 1) => M(Msg::KeyValue),
            _ => return None,
        })
    }
}

/// Wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const START_GROUP: u8 = 3;
const END_GROUP: u8 = 4;
const FIXED32: u8 = 5;

/// A cursor over one message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    message: &'static str,
}

impl<'a> Reader<'a> {
    fn fail(&self, kind: WireErrorKind) -> WireError {
        WireError {
            kind,
            message: self.message,
        }
    }

    /// A varint, with prost's rules: at most 10 bytes, the 10th at most 1.
    fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for (count, &byte) in self.buf.iter().take(10).enumerate() {
            value |= u64::from(byte & 0x7f) << (count * 7);
            if byte < 0x80 {
                if count == 9 && byte >= 0x02 {
                    break;
                }
                self.buf = self.buf.get(count + 1..).unwrap_or_default();
                return Ok(value);
            }
        }
        Err(self.fail(WireErrorKind::Varint))
    }

    /// A field key: field number and wire type.
    fn key(&mut self) -> Result<(u32, u8), WireError> {
        let key = self.varint()?;
        let key = u32::try_from(key).map_err(|_| self.fail(WireErrorKind::Key))?;
        // Both masks keep the values in range of the target types.
        let wire_type = (key & 0x07) as u8;
        let tag = key >> 3;
        if tag == 0 || wire_type > FIXED32 {
            return Err(self.fail(WireErrorKind::Key));
        }
        Ok((tag, wire_type))
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], WireError> {
        let len = usize::try_from(len).map_err(|_| self.fail(WireErrorKind::Truncated))?;
        if len > self.buf.len() {
            return Err(self.fail(WireErrorKind::Truncated));
        }
        let (head, tail) = self.buf.split_at(len);
        self.buf = tail;
        Ok(head)
    }

    fn length_delimited(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.varint()?;
        self.take(len)
    }

    /// Skips an unknown field as prost does (groups to their matching end).
    fn skip(&mut self, tag: u32, wire_type: u8, depth: u32) -> Result<(), WireError> {
        if depth == 0 {
            return Err(self.fail(WireErrorKind::Recursion));
        }
        match wire_type {
            VARINT => self.varint().map(drop),
            FIXED64 => self.take(8).map(drop),
            FIXED32 => self.take(4).map(drop),
            LEN => self.length_delimited().map(drop),
            START_GROUP => loop {
                let (inner_tag, inner_type) = self.key()?;
                if inner_type == END_GROUP {
                    if inner_tag != tag {
                        return Err(self.fail(WireErrorKind::EndGroup));
                    }
                    return Ok(());
                }
                self.skip(inner_tag, inner_type, depth - 1)?;
            },
            _ => Err(self.fail(WireErrorKind::EndGroup)),
        }
    }
}

/// A span's id fields as last seen (prost keeps the last of a repeated scalar field).
#[derive(Default)]
struct Ids<'a> {
    trace: &'a [u8],
    span: &'a [u8],
    parent: &'a [u8],
}

/// Walks the fields of one `msg` whose body is `bytes`; `depth` is prost's recursion budget
/// for its fields.
fn walk(msg: Msg, bytes: &[u8], depth: u32, scan: &mut Scan) -> Result<(), WireError> {
    let mut r = Reader {
        buf: bytes,
        message: msg.name(),
    };
    let mut ids = Ids::default();
    while !r.buf.is_empty() {
        let (tag, wire_type) = r.key()?;
        let Some(kind) = msg.field(tag) else {
            r.skip(tag, wire_type, depth)?;
            continue;
        };
        let expected = match kind {
            Kind::Varint => VARINT,
            Kind::Fixed32 => FIXED32,
            Kind::Fixed64 => FIXED64,
            Kind::Bytes | Kind::Str | Kind::Message(_) => LEN,
        };
        if wire_type != expected {
            return Err(r.fail(WireErrorKind::WireType(tag)));
        }
        match kind {
            Kind::Varint => drop(r.varint()?),
            Kind::Fixed32 => drop(r.take(4)?),
            Kind::Fixed64 => drop(r.take(8)?),
            Kind::Str => {
                let text = r.length_delimited()?;
                if std::str::from_utf8(text).is_err() {
                    return Err(r.fail(WireErrorKind::Utf8(tag)));
                }
            }
            Kind::Bytes => {
                let value = r.length_delimited()?;
                if msg == Msg::Span {
                    match tag {
                        1 => ids.trace = value,
                        2 => ids.span = value,
                        _ => ids.parent = value,
                    }
                }
            }
            Kind::Message(inner) => {
                if depth == 0 {
                    return Err(r.fail(WireErrorKind::Recursion));
                }
                let body = r.length_delimited()?;
                walk(inner, body, depth - 1, scan)?;
            }
        }
    }
    if msg == Msg::Span {
        scan.spans += 1;
        if let Err(error) = check_ids(ids.trace, ids.span, ids.parent) {
            scan.rejected += 1;
            scan.first_error.get_or_insert(error);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
