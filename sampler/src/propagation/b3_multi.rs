//! B3 multi-header propagation (`X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`, `X-B3-Flags`).

use http::{HeaderMap, HeaderValue};

use super::{Format, InvalidHeader};
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState};

const TRACE_ID: &str = "x-b3-traceid";
const SPAN_ID: &str = "x-b3-spanid";
const PARENT_SPAN_ID: &str = "x-b3-parentspanid";
const SAMPLED: &str = "x-b3-sampled";
const FLAGS: &str = "x-b3-flags";
/// Headers this format owns.
pub(super) const HEADERS: &[&str] = &[TRACE_ID, SPAN_ID, PARENT_SPAN_ID, SAMPLED, FLAGS];

const INVALID: InvalidHeader = InvalidHeader {
    format: Format::B3Multi,
};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, InvalidHeader> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| INVALID))
        .transpose()
}

/// Reads the `X-B3-*` headers. Absent trace and span ids mean "no context".
pub(super) fn extract(headers: &HeaderMap) -> Result<Option<SpanContext>, InvalidHeader> {
    let (Some(trace), Some(span)) = (header(headers, TRACE_ID)?, header(headers, SPAN_ID)?) else {
        return Ok(None);
    };
    let trace_id = TraceId::from_hex_64_or_128(trace).map_err(|_| INVALID)?;
    let span_id = SpanId::from_hex(span).map_err(|_| INVALID)?;
    let sampling = if header(headers, FLAGS)? == Some("1") {
        SamplingState::Debug
    } else {
        match header(headers, SAMPLED)? {
            None => SamplingState::Deferred,
            Some("1" | "true") => SamplingState::Sampled,
            Some("0" | "false") => SamplingState::NotSampled,
            Some(_) => return Err(INVALID),
        }
    };
    Ok(Some(SpanContext {
        trace_id,
        span_id,
        sampling,
        random: false,
        trace_state: TraceState::default(),
    }))
}

/// Writes the `X-B3-*` headers; debug is sent as `X-B3-Flags: 1` (which implies sampled).
pub(super) fn inject(context: &SpanContext, headers: &mut HeaderMap) {
    let ids = [
        (TRACE_ID, context.trace_id.to_string()),
        (SPAN_ID, context.span_id.to_string()),
    ];
    for (name, value) in ids {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let decision = match context.sampling {
        SamplingState::Deferred => None,
        SamplingState::NotSampled => Some((SAMPLED, "0")),
        SamplingState::Sampled => Some((SAMPLED, "1")),
        SamplingState::Debug => Some((FLAGS, "1")),
    };
    if let Some((name, value)) = decision {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
