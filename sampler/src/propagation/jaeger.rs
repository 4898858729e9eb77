//! Jaeger propagation: `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`.
//!
//! Ids are hex without leading zeros (Jaeger clients write `%x`), so they are left-padded to
//! 128 and 64 bits; either case is accepted, as Jaeger's own parsers (`strconv.ParseUint`)
//! do. Separators may arrive URL-encoded (`%3A`), as some Jaeger clients send them. Flags are
//! hex: bit 0 sampled, bit 1 debug (debug implies sampled); other bits are ignored. The
//! parent span id is checked for syntax and then dropped (it is deprecated in Jaeger).

use http::{HeaderName, HeaderValue};

use super::{Extracted, Format, InvalidHeader, Known, Outgoing, TraceHeaders, single_line};
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState, hex};

pub(super) static UBER_TRACE_ID: HeaderName = HeaderName::from_static("uber-trace-id");
/// Headers this format owns, all of them always written by [`inject`].
pub(super) static HEADERS: [&HeaderName; 1] = [&UBER_TRACE_ID];
/// `{trace:32}:{span:16}:0:{flags:1}`.
const MAX_LEN: usize = 32 + 1 + 16 + 3 + 1;

const INVALID: InvalidHeader = InvalidHeader {
    format: Format::Jaeger,
};

const SAMPLED: u8 = 0x01;
const DEBUG: u8 = 0x02;

/// Reads `uber-trace-id`. Several lines or any malformed field make it invalid.
pub(super) fn extract(headers: &TraceHeaders<'_>) -> Result<Option<Extracted>, InvalidHeader> {
    let Some(text) = single_line(headers, Known::UberTraceId, INVALID)? else {
        return Ok(None);
    };
    parse(text).map(|context| Some(Extracted::Context(context)))
}

/// Splits on `:` or on its URL encoding `%3A` (or `%3a`), never a mix in one value.
fn fields(text: &str) -> Option<[&str; 4]> {
    if text.contains(':') {
        take4(text.split(':'))
    } else if text.contains("%3A") {
        take4(text.split("%3A"))
    } else {
        take4(text.split("%3a"))
    }
}

/// Exactly four fields.
fn take4<'a>(mut parts: impl Iterator<Item = &'a str>) -> Option<[&'a str; 4]> {
    let out = [parts.next()?, parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(out)
}

/// 1..=`max` hex digits of either case.
fn is_hex(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|c| c.is_ascii_hexdigit())
}

fn parse(text: &str) -> Result<SpanContext, InvalidHeader> {
    let [trace, span, parent, flags] = fields(text).ok_or(INVALID)?;
    let trace_id = TraceId::from_hex_left_padded(trace).map_err(|_| INVALID)?;
    let span_id = SpanId::from_hex_left_padded(span).map_err(|_| INVALID)?;
    // "0" (no parent) is valid here, so only the syntax is checked.
    if !is_hex(parent, 16) || !is_hex(flags, 2) {
        return Err(INVALID);
    }
    let flags = u8::from_str_radix(flags, 16).map_err(|_| INVALID)?;
    let sampling = if flags & DEBUG != 0 {
        SamplingState::Debug
    } else if flags & SAMPLED != 0 {
        SamplingState::Sampled
    } else {
        SamplingState::NotSampled
    };
    Ok(SpanContext {
        trace_id,
        span_id,
        sampling,
        random: false,
        trace_state: TraceState::default(),
    })
}

/// Writes `{trace:32}:{span:16}:0:{flags}` as the OpenTelemetry Jaeger propagator does.
/// Jaeger has no deferred state: a deferred context is written as not sampled.
pub(super) fn inject(context: &SpanContext, headers: &mut Outgoing) {
    let flags = match context.sampling {
        SamplingState::Deferred | SamplingState::NotSampled => 0,
        SamplingState::Sampled => SAMPLED,
        SamplingState::Debug => SAMPLED | DEBUG,
    };
    let mut value = hex::Buf::<MAX_LEN>::new();
    value
        .push_hex(&context.trace_id.to_bytes())
        .push(b":")
        .push_hex(&context.span_id.to_bytes())
        .push(b":0:")
        // Flags are at most SAMPLED | DEBUG: one hex digit, as `{flags:x}` writes it.
        .push(&[hex::digit(flags)]);
    let value = HeaderValue::from_bytes(value.as_bytes());
    headers.set_or_remove(Known::UberTraceId, value);
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    /// Trace id, span id and sampling read from a header.
    type Read = (&'static str, &'static str, SamplingState);

    /// Header value, then what it reads as, or None for invalid.
    #[rustfmt::skip]
    const VECTORS: &[(&str, Option<Read>)] = &[
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1", Some((TRACE, "00f067aa0ba902b7", SamplingState::Sampled))),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:0", Some((TRACE, "00f067aa0ba902b7", SamplingState::NotSampled))),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:3", Some((TRACE, "00f067aa0ba902b7", SamplingState::Debug))),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:2", Some((TRACE, "00f067aa0ba902b7", SamplingState::Debug))),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:09", Some((TRACE, "00f067aa0ba902b7", SamplingState::Sampled))),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:53ece9c0d6e4c0f3:01", Some((TRACE, "00f067aa0ba902b7", SamplingState::Sampled))),
        // shorter ids, left-padded; uppercase as Jaeger's parsers accept
        ("a3ce929d0e0e4736:f067aa0ba902b7:0:1", Some(("0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7", SamplingState::Sampled))),
        ("1:2:0:1", Some(("00000000000000000000000000000001", "0000000000000002", SamplingState::Sampled))),
        ("A3CE929D0E0E4736:F067AA0BA902B7:0:1", Some(("0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7", SamplingState::Sampled))),
        // URL-encoded separators
        ("4bf92f3577b34da6a3ce929d0e0e4736%3A00f067aa0ba902b7%3A0%3A1", Some((TRACE, "00f067aa0ba902b7", SamplingState::Sampled))),
        ("4bf92f3577b34da6a3ce929d0e0e4736%3a00f067aa0ba902b7%3a0%3a3", Some((TRACE, "00f067aa0ba902b7", SamplingState::Debug))),
        // invalid
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1:1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:100", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7::1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:x:1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:x", None),
        ("0:00f067aa0ba902b7:0:1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:0:0:1", None),
        ("14bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736:100f067aa0ba902b7:0:1", None),
        (":00f067aa0ba902b7:0:1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736%3A00f067aa0ba902b7:0:1", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0-1", None),
        ("+1:2:0:1", None),
        ("1:2:0:+1", None),
        ("1:2:+0:1", None),
        ("", None),
    ];

    #[test]
    fn uber_trace_id_vectors() {
        for (text, want) in VECTORS {
            let got = parse(text)
                .ok()
                .map(|c| (c.trace_id.to_string(), c.span_id.to_string(), c.sampling));
            let want = want.map(|(t, s, st)| (t.to_owned(), s.to_owned(), st));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn inject_writes_full_width_ids_and_hex_flags() {
        let mut ctx = parse("a3ce929d0e0e4736:f067aa0ba902b7:0:3").unwrap();
        let mut headers = HeaderMap::new();
        let mut out = Outgoing::default();
        inject(&ctx, &mut out);
        out.apply(&mut headers);
        assert_eq!(
            headers[&UBER_TRACE_ID],
            "0000000000000000a3ce929d0e0e4736:00f067aa0ba902b7:0:3"
        );
        ctx.sampling = SamplingState::Deferred;
        let mut out = Outgoing::default();
        inject(&ctx, &mut out);
        out.apply(&mut headers);
        assert!(headers[&UBER_TRACE_ID].to_str().unwrap().ends_with(":0:0"));
    }
}
