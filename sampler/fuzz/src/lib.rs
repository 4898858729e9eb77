//! Helpers shared by the fuzz targets: fuzzer bytes to request headers, and the round trip
//! every propagation target checks (what a hop extracts must survive its own injection).

use http::{HeaderMap, HeaderValue};
use sampler::tracestate::PROPAGATION_LIMIT;
use sampler::{Format, Propagation, SamplingState, SpanContext};

/// The `\n`-separated lines of `data`; each becomes one header line.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
}

/// Appends `value` as a `name` line, skipping bytes that are not a valid header value (the
/// `http` crate would never hand those to the sidecar).
pub fn append(headers: &mut HeaderMap, name: &'static str, value: &[u8]) {
    if let Ok(value) = HeaderValue::from_bytes(value) {
        headers.append(name, value);
    }
}

/// The sampling state `format` can carry: W3C has no deferred or debug, Jaeger no deferred.
fn carried(format: Format, state: SamplingState) -> SamplingState {
    match (format, state) {
        (Format::W3c, s) if s.is_sampled() => SamplingState::Sampled,
        (Format::W3c | Format::Jaeger, SamplingState::Deferred) | (Format::W3c, _) => {
            SamplingState::NotSampled
        }
        (_, s) => s,
    }
}

/// Extracts `headers` with every format. When a context is found, injects it in `format`
/// over the same headers (injection replaces every known trace header), extracts again and
/// checks that the ids, the sampling state `format` can carry and (W3C) the random flag and
/// an untruncated `tracestate` survive. Returns the first extracted context.
pub fn check_round_trip(headers: &HeaderMap, format: Format) -> Option<SpanContext> {
    let propagation = Propagation::new(vec![format]);
    let first = propagation.extract(headers);
    assert!(
        first.parent.is_none() || first.decision_only.is_none(),
        "a context and a bare decision at once: {first:?}"
    );
    let parent = first.parent?;
    let mut out = headers.clone();
    propagation.inject(&parent, &mut out);
    let again = propagation.extract(&out);
    assert!(again.invalid.is_empty(), "{parent:?} injected as {out:?}");
    let back = again.parent.expect("an injected context extracts");
    assert_eq!(back.trace_id, parent.trace_id, "{out:?}");
    assert_eq!(back.span_id, parent.span_id, "{out:?}");
    assert_eq!(back.sampling, carried(format, parent.sampling), "{out:?}");
    if format == Format::W3c {
        assert_eq!(back.random, parent.random, "{out:?}");
        if parent.trace_state.to_string().len() <= PROPAGATION_LIMIT {
            assert_eq!(back.trace_state, parent.trace_state, "{out:?}");
        }
    }
    Some(parent)
}
