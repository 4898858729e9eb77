//! W3C Trace Context: `traceparent` and `tracestate`, Level 1 and the Level 2 random flag.

use http::{HeaderName, HeaderValue};

use super::{Extracted, Format, InvalidHeader, Known, Outgoing, TraceHeaders};
use crate::{SamplingState, SpanContext, SpanId, TraceFlags, TraceId, TraceState, hex, text};

pub(super) static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
pub(super) static TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
/// Headers this format owns.
pub(super) static HEADERS: [&HeaderName; 2] = [&TRACEPARENT, &TRACESTATE];
/// Headers [`inject`] always sets (`tracestate`: or removes, when the list is empty).
pub(super) static ALWAYS_WRITTEN: [&HeaderName; 2] = [&TRACEPARENT, &TRACESTATE];
/// Length of a version-00 `traceparent`.
const LEN_V00: usize = 55;

const INVALID: InvalidHeader = InvalidHeader {
    format: Format::W3c,
};

/// Parses `traceparent`; `tracestate` is read only when `traceparent` is valid.
pub(super) fn extract(headers: &TraceHeaders<'_>) -> Result<Option<Extracted>, InvalidHeader> {
    let Some(line) = headers.single(Known::Traceparent).map_err(|_| INVALID)? else {
        return Ok(None);
    };
    let (trace_id, span_id, flags) = parse_traceparent(line).ok_or(INVALID)?;
    // One line (the usual case) is read without an iterator over the lines.
    let trace_state = match headers.single(Known::Tracestate) {
        Ok(Some(line)) => TraceState::from_header_value(line),
        Ok(None) => TraceState::default(),
        Err(_) => TraceState::from_header_values(headers.all(Known::Tracestate)),
    };
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
/// prefix must start with `-`. OWS around the value is tolerated (RFC 9110 field values; W3C
/// test suite). Read as bytes: the hex decoder accepts lowercase hex digits only, so the
/// fields need no separate text check.
fn parse_traceparent(line: &HeaderValue) -> Option<(TraceId, SpanId, TraceFlags)> {
    let bytes = text::trim_ows_bytes(line.as_bytes());
    let (prefix, rest) = bytes.split_at_checked(LEN_V00)?;
    let field = |range: std::ops::Range<usize>| prefix.get(range);
    let mut version = [0u8; 1];
    if !hex::decode_into(field(0..2)?, &mut version) || version == [0xff] {
        return None;
    }
    let dashes = [field(2..3)?, field(35..36)?, field(52..53)?];
    if dashes.iter().any(|d| *d != b"-") {
        return None;
    }
    match (version, rest.first()) {
        ([0x00], None) => {}
        ([0x00], Some(_)) => return None,
        // A later version may carry more fields after a `-`, in visible ASCII.
        (_, None) => {}
        (_, Some(b'-')) if line.to_str().is_ok() => {}
        (_, Some(_)) => return None,
    }
    let (mut trace, mut span, mut flags) = ([0u8; 16], [0u8; 8], [0u8; 1]);
    let decoded = hex::decode_into(field(3..35)?, &mut trace)
        && hex::decode_into(field(36..52)?, &mut span)
        && hex::decode_into(field(53..55)?, &mut flags);
    if !decoded {
        return None;
    }
    let [flags] = flags;
    Some((
        TraceId::from_bytes(trace)?,
        SpanId::from_bytes(span)?,
        TraceFlags::from_byte(flags),
    ))
}

/// Writes one version-00 `traceparent`, and `tracestate` when it has members, else removes
/// it. A list forwarded unchanged is the received header value itself: when the request
/// already carries it as its one `tracestate` line, the map is left as it is.
pub(super) fn inject(context: &SpanContext, headers: &mut Outgoing) {
    // The ids a word at a time, their lengths known here.
    let trace_id = hex::encode_array::<16, 32>(&context.trace_id.to_bytes());
    let span_id = hex::encode_array::<8, 16>(&context.span_id.to_bytes());
    let flags = context.flags().to_byte();
    let mut traceparent = hex::Buf::<LEN_V00>::new();
    traceparent
        .push(b"00-")
        .push(&trace_id)
        .push(b"-")
        .push(&span_id)
        .push(&[b'-', hex::digit(flags >> 4), hex::digit(flags)]);
    let value = HeaderValue::from_bytes(traceparent.as_bytes());
    headers.set_or_remove(Known::Traceparent, value);
    match context.trace_state.header_value() {
        Some(value) => headers.set(Known::Tracestate, value),
        None => headers.remove(Known::Tracestate),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

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
        let mut out = Outgoing::default();
        inject(&context, &mut out);
        out.apply(&mut headers);
        assert_eq!(
            headers[&TRACEPARENT],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
        );
        assert!(!headers.contains_key(&TRACESTATE));
    }
}
