//! W3C Trace Context: `traceparent` and `tracestate`, Level 1 and the Level 2 random flag.

use http::{HeaderMap, HeaderValue};

use super::{Extracted, Format, InvalidHeader};
use crate::ids::hex_value;
use crate::{SamplingState, SpanContext, SpanId, TraceFlags, TraceId, TraceState};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
/// Headers this format owns.
pub(super) const HEADERS: &[&str] = &[TRACEPARENT, TRACESTATE];
/// Length of a version-00 `traceparent`.
const LEN_V00: usize = 55;

const INVALID: InvalidHeader = InvalidHeader {
    format: Format::W3c,
};

/// Parses `traceparent`; `tracestate` is read only when `traceparent` is valid.
pub(super) fn extract(headers: &HeaderMap) -> Result<Option<Extracted>, InvalidHeader> {
    let mut lines = headers.get_all(TRACEPARENT).iter();
    let Some(value) = lines.next() else {
        return Ok(None);
    };
    if lines.next().is_some() {
        return Err(INVALID);
    }
    // OWS around the value is tolerated (RFC 9110 field values; W3C test suite).
    let text = value
        .to_str()
        .map_err(|_| INVALID)?
        .trim_matches([' ', '\t']);
    let (trace_id, span_id, flags) = parse_traceparent(text).ok_or(INVALID)?;
    let trace_state = TraceState::parse(
        headers
            .get_all(TRACESTATE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    Ok(Some(Extracted::Context(SpanContext {
        trace_id,
        span_id,
        sampling: if flags.sampled() {
            SamplingState::Sampled
        } else {
            SamplingState::NotSampled
        },
        random: flags.random(),
        trace_state,
    })))
}

/// `version-traceid-parentid-flags`, with the spec's rules for future versions: a version
/// other than `00` (and not `ff`) is parsed by its version-00 prefix, and anything after the
/// prefix must start with `-`.
fn parse_traceparent(text: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let version = text.get(0..2)?;
    if version == "ff"
        || !version
            .bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    match (version, text.len()) {
        ("00", LEN_V00) => {}
        ("00", _) => return None,
        (_, len) if len < LEN_V00 => return None,
        (_, len) if len > LEN_V00 && text.as_bytes().get(LEN_V00) != Some(&b'-') => return None,
        _ => {}
    }
    let prefix = text.get(..LEN_V00)?;
    let mut fields = prefix.split('-');
    let (_, trace, span, flags) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    // Exactly two lowercase hex digits (from_str_radix would also take "+1" and "0A").
    let [hi, lo] = flags.as_bytes() else {
        return None;
    };
    let flags = (hex_value(*hi)? << 4) | hex_value(*lo)?;
    // Lowercase only: this catches an uppercase version (the other fields are checked above).
    if prefix.bytes().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some((trace_id, span_id, TraceFlags::from_byte(flags)))
}

/// Writes one version-00 `traceparent`, and `tracestate` when it has members.
pub(super) fn inject(context: &SpanContext, headers: &mut HeaderMap) {
    let traceparent = format!(
        "00-{}-{}-{:02x}",
        context.trace_id,
        context.span_id,
        context.flags().to_byte()
    );
    if let Ok(value) = HeaderValue::from_str(&traceparent) {
        headers.insert(TRACEPARENT, value);
    }
    if !context.trace_state.is_empty()
        && let Ok(value) = HeaderValue::from_str(&context.trace_state.to_header_value())
    {
        headers.insert(TRACESTATE, value);
    }
}
