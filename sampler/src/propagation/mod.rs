//! Trace-context propagation formats: one module per format, tried in the fixed order of the
//! SPEC when extracting, and written in the configured set when injecting.

mod b3_multi;
mod b3_single;
mod format;
mod headers;
mod jaeger;
mod outgoing;
mod propagator;
mod w3c;

pub use format::{Format, UnknownFormat};
use headers::{Known, TraceHeaders};
use outgoing::Outgoing;
use propagator::Extracted;
pub use propagator::{Extraction, InvalidHeader, Propagation};

/// Headers an application must copy from the request it serves onto the requests it makes, so
/// that the sidecar can join them into one trace (the list Istio documents, plus ours).
pub const APP_PROPAGATED_HEADERS: &[&str] = &[
    "traceparent",
    "tracestate",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "uber-trace-id",
    "x-request-id",
];

/// The value of a header that must appear at most once, as text with optional white space
/// trimmed: `Ok(None)` when absent, `Err(invalid)` when repeated or not visible ASCII.
fn single_line<'a>(
    headers: &TraceHeaders<'a>,
    known: Known,
    invalid: InvalidHeader,
) -> Result<Option<&'a str>, InvalidHeader> {
    let Some(value) = headers.single(known).map_err(|_| invalid)? else {
        return Ok(None);
    };
    value
        .to_str()
        .map(|text| Some(crate::text::trim_ows(text)))
        .map_err(|_| invalid)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_translate;
