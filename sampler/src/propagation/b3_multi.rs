//! B3 multi-header propagation (`X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`, `X-B3-Flags`).

use http::{HeaderName, HeaderValue};

use super::{Extracted, Format, InvalidHeader, Known, Outgoing, TraceHeaders};
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState};

pub(super) static TRACE_ID: HeaderName = HeaderName::from_static("x-b3-traceid");
pub(super) static SPAN_ID: HeaderName = HeaderName::from_static("x-b3-spanid");
pub(super) static PARENT_SPAN_ID: HeaderName = HeaderName::from_static("x-b3-parentspanid");
pub(super) static SAMPLED: HeaderName = HeaderName::from_static("x-b3-sampled");
pub(super) static FLAGS: HeaderName = HeaderName::from_static("x-b3-flags");
/// Headers this format owns.
pub(super) static HEADERS: [&HeaderName; 5] =
    [&TRACE_ID, &SPAN_ID, &PARENT_SPAN_ID, &SAMPLED, &FLAGS];
/// Headers [`inject`] always writes.
pub(super) static ALWAYS_WRITTEN: [&HeaderName; 2] = [&TRACE_ID, &SPAN_ID];

const INVALID: InvalidHeader = InvalidHeader {
    format: Format::B3Multi,
};

fn header<'a>(headers: &TraceHeaders<'a>, known: Known) -> Result<Option<&'a str>, InvalidHeader> {
    headers
        .first(known)
        .map(|v| v.to_str().map_err(|_| INVALID))
        .transpose()
}

/// The decision carried by `X-B3-Flags` and `X-B3-Sampled`; `Deferred` when neither is set.
fn sampling(headers: &TraceHeaders<'_>) -> Result<SamplingState, InvalidHeader> {
    if header(headers, Known::B3Flags)? == Some("1") {
        return Ok(SamplingState::Debug);
    }
    match header(headers, Known::B3Sampled)? {
        None => Ok(SamplingState::Deferred),
        Some("1" | "true") => Ok(SamplingState::Sampled),
        Some("0" | "false") => Ok(SamplingState::NotSampled),
        Some(_) => Err(INVALID),
    }
}

/// Reads the `X-B3-*` headers. Without both ids, a sampling header alone is a decision with
/// no context; nothing at all means "no context".
pub(super) fn extract(headers: &TraceHeaders<'_>) -> Result<Option<Extracted>, InvalidHeader> {
    let (Some(trace), Some(span)) = (
        header(headers, Known::B3TraceId)?,
        header(headers, Known::B3SpanId)?,
    ) else {
        return Ok(match sampling(headers)? {
            SamplingState::Deferred => None,
            state => Some(Extracted::DecisionOnly(state)),
        });
    };
    let trace_id = TraceId::from_hex_64_or_128(trace).map_err(|_| INVALID)?;
    let span_id = SpanId::from_hex(span).map_err(|_| INVALID)?;
    if let Some(parent) = header(headers, Known::B3ParentSpanId)? {
        SpanId::from_hex(parent).map_err(|_| INVALID)?;
    }
    Ok(Some(Extracted::Context(SpanContext {
        trace_id,
        span_id,
        sampling: sampling(headers)?,
        random: false,
        trace_state: TraceState::default(),
    })))
}

/// Writes the `X-B3-*` headers; debug is sent as `X-B3-Flags: 1` (which implies sampled).
pub(super) fn inject(context: &SpanContext, headers: &mut Outgoing) {
    let trace = HeaderValue::from_bytes(&context.trace_id.to_hex());
    headers.set_or_remove(Known::B3TraceId, trace);
    let span = HeaderValue::from_bytes(&context.span_id.to_hex());
    headers.set_or_remove(Known::B3SpanId, span);
    let decision = match context.sampling {
        SamplingState::Deferred => None,
        SamplingState::NotSampled => Some((Known::B3Sampled, "0")),
        SamplingState::Sampled => Some((Known::B3Sampled, "1")),
        SamplingState::Debug => Some((Known::B3Flags, "1")),
    };
    if let Some((known, value)) = decision {
        headers.set(known, HeaderValue::from_static(value));
    }
}
