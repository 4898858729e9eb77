//! Translation between formats: extract in one, inject in another, extract again; the trace
//! id, the sampling decision and the debug flag survive (W3C alone cannot carry debug).

use http::HeaderMap;

use super::tests::headers;
use super::*;
use crate::SamplingState;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";

/// One context in each format, for each decision W3C, B3 and Jaeger can all express.
fn sources(state: SamplingState) -> Vec<(Format, Vec<(&'static str, String)>)> {
    let (w3c, b3, multi, jaeger) = match state {
        SamplingState::Sampled => ("01", "1", ("x-b3-sampled", "1"), "1"),
        SamplingState::NotSampled => ("00", "0", ("x-b3-sampled", "0"), "0"),
        SamplingState::Debug => ("01", "d", ("x-b3-flags", "1"), "3"),
        SamplingState::Deferred => unreachable!("every format here decides"),
    };
    vec![
        (
            Format::W3c,
            vec![("traceparent", format!("00-{TRACE}-{SPAN}-{w3c}"))],
        ),
        (Format::B3, vec![("b3", format!("{TRACE}-{SPAN}-{b3}"))]),
        (
            Format::B3Multi,
            vec![
                ("x-b3-traceid", TRACE.to_owned()),
                ("x-b3-spanid", SPAN.to_owned()),
                (multi.0, multi.1.to_owned()),
            ],
        ),
        (
            Format::Jaeger,
            vec![("uber-trace-id", format!("{TRACE}:{SPAN}:0:{jaeger}"))],
        ),
    ]
}

#[test]
fn every_format_translates_into_every_other() {
    for state in [
        SamplingState::Sampled,
        SamplingState::NotSampled,
        SamplingState::Debug,
    ] {
        for (from, pairs) in sources(state) {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let first = Propagation::default().extract(&headers(&pairs));
            let ctx = first.parent.unwrap_or_else(|| panic!("{from:?} {state:?}"));
            let expected_first = if from == Format::W3c && state == SamplingState::Debug {
                SamplingState::Sampled
            } else {
                state
            };
            assert_eq!(ctx.sampling, expected_first, "{from:?} {state:?}");
            for to in Format::EXTRACT_ORDER {
                let mut out = HeaderMap::new();
                Propagation::new(vec![to]).inject(&ctx, &mut out);
                let back = Propagation::default().extract(&out);
                let back = back.parent.unwrap_or_else(|| panic!("{from:?} -> {to:?}"));
                assert_eq!(back.trace_id.to_string(), TRACE, "{from:?} -> {to:?}");
                assert_eq!(back.span_id.to_string(), SPAN, "{from:?} -> {to:?}");
                let want = if to == Format::W3c && expected_first == SamplingState::Debug {
                    SamplingState::Sampled
                } else {
                    expected_first
                };
                assert_eq!(back.sampling, want, "{from:?} -> {to:?} ({state:?})");
            }
        }
    }
}

#[test]
fn debug_survives_w3c_when_injected_beside_b3() {
    let b3 = format!("{TRACE}-{SPAN}-d");
    let ctx = Propagation::default()
        .extract(&headers(&[("b3", &b3)]))
        .parent
        .unwrap();
    for formats in [
        vec![Format::W3c, Format::B3Multi],
        vec![Format::W3c, Format::B3],
        vec![Format::W3c, Format::Jaeger],
    ] {
        let mut out = HeaderMap::new();
        Propagation::new(formats.clone()).inject(&ctx, &mut out);
        let back = Propagation::default().extract(&out).parent.unwrap();
        assert_eq!(back.sampling, SamplingState::Debug, "{formats:?}");
    }
}

#[test]
fn format_names() {
    for format in Format::EXTRACT_ORDER {
        assert_eq!(format.as_str().parse::<Format>(), Ok(format));
    }
    assert_eq!("tracecontext".parse::<Format>(), Ok(Format::W3c));
    assert!("zipkin".parse::<Format>().is_err());
}
