//! B3 single-header propagation: `b3: {trace}-{span}[-{sampling}[-{parent}]]`, or a bare
//! sampling decision `b3: {0|1|d}` (openzipkin/b3-propagation).

use http::{HeaderName, HeaderValue};

use super::{Extracted, Format, InvalidHeader, Known, Outgoing, TraceHeaders, single_line};
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState, hex};

pub(super) static B3: HeaderName = HeaderName::from_static("b3");
/// Headers this format owns, all of them always written by [`inject`].
pub(super) static HEADERS: [&HeaderName; 1] = [&B3];
/// `{trace:32}-{span:16}-{d}`.
const MAX_LEN: usize = 32 + 1 + 16 + 2;

const INVALID: InvalidHeader = InvalidHeader { format: Format::B3 };

/// The single-header sampling field: `1`, `0` or `d` (debug, implies sampled).
fn sampling(field: &str) -> Result<SamplingState, InvalidHeader> {
    match field {
        "1" => Ok(SamplingState::Sampled),
        "0" => Ok(SamplingState::NotSampled),
        "d" => Ok(SamplingState::Debug),
        _ => Err(INVALID),
    }
}

/// Reads `b3`. Several lines, non-ASCII text or any malformed field make it invalid.
pub(super) fn extract(headers: &TraceHeaders<'_>) -> Result<Option<Extracted>, InvalidHeader> {
    let Some(text) = single_line(headers, Known::B3, INVALID)? else {
        return Ok(None);
    };
    parse(text).map(Some)
}

fn parse(text: &str) -> Result<Extracted, InvalidHeader> {
    let mut fields = text.split('-');
    let first = fields.next().unwrap_or_default();
    let Some(span) = fields.next() else {
        // A lone field is a decision without ids ("b3: 0" is the usual deny-only header).
        return sampling(first).map(Extracted::DecisionOnly);
    };
    let trace_id = TraceId::from_hex_64_or_128(first).map_err(|_| INVALID)?;
    let span_id = SpanId::from_hex(span).map_err(|_| INVALID)?;
    let state = fields
        .next()
        .map_or(Ok(SamplingState::Deferred), sampling)?;
    if let Some(parent) = fields.next() {
        SpanId::from_hex(parent).map_err(|_| INVALID)?;
    }
    if fields.next().is_some() {
        return Err(INVALID);
    }
    Ok(Extracted::Context(SpanContext {
        trace_id,
        span_id,
        sampling: state,
        random: false,
        trace_state: TraceState::default(),
    }))
}

/// Writes `b3: {trace}-{span}[-{1|0|d}]` (a deferred decision omits the sampling field).
pub(super) fn inject(context: &SpanContext, headers: &mut Outgoing) {
    let decision: &[u8] = match context.sampling {
        SamplingState::Deferred => b"",
        SamplingState::NotSampled => b"-0",
        SamplingState::Sampled => b"-1",
        SamplingState::Debug => b"-d",
    };
    let mut value = hex::Buf::<MAX_LEN>::new();
    value
        .push_hex(&context.trace_id.to_bytes())
        .push(b"-")
        .push_hex(&context.span_id.to_bytes())
        .push(decision);
    headers.set_or_remove(Known::B3, HeaderValue::from_bytes(value.as_bytes()));
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    const T128: &str = "80f198ee56343ba864fe8b2a57d3eff7";
    const T64: &str = "64fe8b2a57d3eff7";
    const SPAN: &str = "e457b5a2e4d86bd1";
    const PARENT: &str = "05e3ac9a4f6e3b90";

    enum Want {
        Context(&'static str, SamplingState),
        Decision(SamplingState),
        Invalid,
    }

    /// Header value, then what it must read as (openzipkin/b3-propagation examples).
    #[rustfmt::skip]
    fn vectors() -> Vec<(String, Want)> {
        use SamplingState::*;
        use Want::*;
        vec![
            (format!("{T128}-{SPAN}-1-{PARENT}"), Context(T128, Sampled)),
            (format!("{T128}-{SPAN}-1"), Context(T128, Sampled)),
            (format!("{T128}-{SPAN}-0"), Context(T128, NotSampled)),
            (format!("{T128}-{SPAN}-d"), Context(T128, Debug)),
            (format!("{T128}-{SPAN}"), Context(T128, Deferred)),
            (format!("{T64}-{SPAN}-1"), Context("000000000000000064fe8b2a57d3eff7", Sampled)),
            (format!(" {T128}-{SPAN}-1\t"), Context(T128, Sampled)),
            ("0".into(), Decision(NotSampled)),
            ("1".into(), Decision(Sampled)),
            ("d".into(), Decision(Debug)),
            ("".into(), Invalid),
            ("true".into(), Invalid),
            (format!("{T128}-{SPAN}-true"), Invalid),
            (format!("{T128}-{SPAN}-1-{PARENT}-x"), Invalid),
            (format!("{T128}-{SPAN}-1-"), Invalid),
            (format!("{T128}-{SPAN}-"), Invalid),
            (format!("{T128}-{SPAN}-1-0000000000000000"), Invalid),
            (format!("{}-{SPAN}-1", T128.to_uppercase()), Invalid),
            (format!("00000000000000000000000000000000-{SPAN}-1"), Invalid),
            (format!("{T128}-0000000000000000-1"), Invalid),
            (format!("{T128}-{SPAN}1"), Invalid),
            (T128.to_owned(), Invalid),
            (format!("{T128}-"), Invalid),
            ("-".into(), Invalid),
            ("---".into(), Invalid),
        ]
    }

    #[test]
    fn b3_single_vectors() {
        for (text, want) in vectors() {
            let got = parse(text.trim_matches([' ', '\t']));
            match want {
                Want::Context(trace, state) => {
                    let Ok(Extracted::Context(ctx)) = got else {
                        panic!("{text:?}: {got:?}");
                    };
                    assert_eq!(
                        ctx.trace_id.to_string().trim_start_matches('0'),
                        trace.trim_start_matches('0'),
                        "{text}"
                    );
                    assert_eq!(ctx.span_id.to_string(), SPAN);
                    assert_eq!(ctx.sampling, state, "{text}");
                }
                Want::Decision(state) => {
                    assert_eq!(got, Ok(Extracted::DecisionOnly(state)), "{text:?}");
                }
                Want::Invalid => assert_eq!(got, Err(INVALID), "{text:?}"),
            }
        }
    }

    #[test]
    fn two_b3_lines_are_invalid() {
        let mut headers = HeaderMap::new();
        headers.append(&B3, HeaderValue::from_static("0"));
        headers.append(&B3, HeaderValue::from_static("1"));
        assert_eq!(extract(&TraceHeaders::find(&headers)), Err(INVALID));
    }
}
