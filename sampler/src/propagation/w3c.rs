//! W3C Trace Context: `traceparent` and `tracestate`, Level 1 and the Level 2 random flag.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{Extracted, Format, InvalidHeader, insert_or_remove, single_line};
use crate::{SamplingState, SpanContext, SpanId, TraceFlags, TraceId, TraceState, hex, text};

static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
static TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
/// Headers this format owns.
pub(super) static HEADERS: [&HeaderName; 2] = [&TRACEPARENT, &TRACESTATE];
/// Headers [`inject`] always writes.
pub(super) static ALWAYS_WRITTEN: [&HeaderName; 1] = [&TRACEPARENT];
/// Length of a version-00 `traceparent`.
const LEN_V00: usize = 55;

const INVALID: InvalidHeader = InvalidHeader {
    format: Format::W3c,
};

/// Parses `traceparent`; `tracestate` is read only when `traceparent` is valid.
pub(super) fn extract(headers: &HeaderMap) -> Result<Option<Extracted>, InvalidHeader> {
    // OWS around the value is tolerated (RFC 9110 field values; W3C test suite).
    let Some(line) = single_line(headers, &TRACEPARENT, INVALID)? else {
        return Ok(None);
    };
    let (trace_id, span_id, flags) = parse_traceparent(line).ok_or(INVALID)?;
    let trace_state = TraceState::from_header_values(headers.get_all(&TRACESTATE));
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
    let mut fields = text::split(prefix, b'-');
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
    let flags = (hex::value(*hi)? << 4) | hex::value(*lo)?;
    // Lowercase only: this catches an uppercase version (the other fields are checked above).
    if prefix.bytes().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some((trace_id, span_id, TraceFlags::from_byte(flags)))
}

/// Writes one version-00 `traceparent`, and `tracestate` when it has members (an unchanged
/// list is the received header value itself, shared, not rewritten).
pub(super) fn inject(context: &SpanContext, headers: &mut HeaderMap) {
    let mut traceparent = hex::Buf::<LEN_V00>::new();
    traceparent
        .push(b"00-")
        .push_hex(&context.trace_id.to_bytes())
        .push(b"-")
        .push_hex(&context.span_id.to_bytes())
        .push(b"-")
        .push_hex(&[context.flags().to_byte()]);
    let value = HeaderValue::from_bytes(traceparent.as_bytes());
    insert_or_remove(headers, &TRACEPARENT, value);
    if let Some(value) = context.trace_state.header_value() {
        headers.insert(&TRACESTATE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inject_writes_the_version_00_layout() {
        let context = SpanContext {
            trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            sampling: SamplingState::Sampled,
            random: true,
            trace_state: TraceState::default(),
        };
        let mut headers = HeaderMap::new();
        inject(&context, &mut headers);
        assert_eq!(
            headers[&TRACEPARENT],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
        );
        assert!(!headers.contains_key(&TRACESTATE));
    }
}
