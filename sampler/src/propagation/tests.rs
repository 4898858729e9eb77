use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState};

pub(super) fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_bytes(v.as_bytes()).unwrap(),
        );
    }
    map
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";

/// (traceparent, expected (sampled, random) or None for invalid)
#[rustfmt::skip]
const TRACEPARENT: &[(&str, Option<(bool, bool)>)] = &[
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some((true, false))),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", Some((false, false))),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", Some((true, true))),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02", Some((false, true))),
    // unknown flag bits are ignored
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", Some((true, false))),
    // future versions: parse the known prefix, anything after must start with '-'
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some((true, false))),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future", Some((true, false))),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what", None),
    // version 00 must be exactly 55 characters
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", None),
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),
    ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", None),
    ("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", None),
    ("0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("", None),
    ("é", None),
    // W3C test suite: OWS around the value is tolerated
    (" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some((true, false))),
    ("\t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some((true, false))),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ", Some((true, false))),
    ("\t 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \t", Some((true, false))),
    // W3C test suite: illegal characters and lengths in every field
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.", None),
    (".0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("0.-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("0000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("00-.bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e473.-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e47361-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-.0f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b.-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b71-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-.0", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0.", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-001", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-+1", None),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-+1", None),
];

#[test]
fn traceparent_vectors() {
    let propagation = Propagation::default();
    for (text, want) in TRACEPARENT {
        let got = propagation.extract(&headers(&[("traceparent", text), ("tracestate", "a=b")]));
        match want {
            Some((sampled, random)) => {
                let ctx = got.parent.unwrap_or_else(|| panic!("{text} should parse"));
                assert_eq!(ctx.trace_id.to_string(), TRACE);
                assert_eq!(ctx.span_id.to_string(), SPAN);
                assert_eq!(ctx.sampling.is_sampled(), *sampled, "{text}");
                assert_eq!(ctx.random, *random, "{text}");
                assert_eq!(ctx.trace_state.to_string(), "a=b");
            }
            None => {
                assert!(got.parent.is_none(), "{text} should be rejected");
                assert_eq!(got.invalid, vec![Format::W3c], "{text}");
            }
        }
    }
}

#[test]
fn two_traceparent_lines_are_invalid() {
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let got = Propagation::default().extract(&headers(&[("traceparent", tp), ("traceparent", tp)]));
    assert!(got.parent.is_none());
}

/// Headers, expected sampling state (None: no context), whether counted as invalid.
type B3Case = (
    &'static [(&'static str, &'static str)],
    Option<SamplingState>,
    bool,
);

#[rustfmt::skip]
const B3: &[B3Case] = &[
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-sampled", "1")], Some(SamplingState::Sampled), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-sampled", "true")], Some(SamplingState::Sampled), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-sampled", "0")], Some(SamplingState::NotSampled), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-sampled", "false")], Some(SamplingState::NotSampled), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN)], Some(SamplingState::Deferred), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-flags", "1")], Some(SamplingState::Debug), false),
    (&[("x-b3-traceid", "a3ce929d0e0e4736"), ("x-b3-spanid", SPAN), ("x-b3-sampled", "1")], Some(SamplingState::Sampled), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-sampled", "yes")], None, true),
    (&[("x-b3-traceid", "xyz"), ("x-b3-spanid", SPAN)], None, true),
    (&[("x-b3-spanid", SPAN)], None, false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-parentspanid", "05e3ac9a4f6e3b90")], Some(SamplingState::Deferred), false),
    (&[("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-parentspanid", "zz")], None, true),
];

/// Decisions sent without ids: (headers, decision, whether counted as invalid).
type DecisionCase = (
    &'static [(&'static str, &'static str)],
    Option<SamplingState>,
    bool,
);

#[rustfmt::skip]
const DECISION_ONLY: &[DecisionCase] = &[
    (&[("b3", "0")], Some(SamplingState::NotSampled), false),
    (&[("b3", "1")], Some(SamplingState::Sampled), false),
    (&[("b3", "d")], Some(SamplingState::Debug), false),
    (&[("x-b3-sampled", "0")], Some(SamplingState::NotSampled), false),
    (&[("x-b3-sampled", "true")], Some(SamplingState::Sampled), false),
    (&[("x-b3-flags", "1")], Some(SamplingState::Debug), false),
    (&[("x-b3-sampled", "maybe")], None, true),
    // b3 single comes before b3 multi
    (&[("b3", "0"), ("x-b3-sampled", "1")], Some(SamplingState::NotSampled), false),
    // a context anywhere wins over a bare decision
    (&[("b3", "0"), ("x-b3-traceid", TRACE), ("x-b3-spanid", SPAN), ("x-b3-sampled", "1")], None, false),
];

#[test]
fn decision_only_vectors() {
    for (pairs, want, invalid) in DECISION_ONLY {
        let got = Propagation::default().extract(&headers(pairs));
        assert_eq!(got.decision_only, *want, "{pairs:?}");
        assert_eq!(!got.invalid.is_empty(), *invalid, "{pairs:?}");
    }
}

#[test]
fn b3_multi_vectors() {
    for (pairs, want, invalid) in B3 {
        let got = Propagation::default().extract(&headers(pairs));
        assert_eq!(got.parent.as_ref().map(|c| c.sampling), *want, "{pairs:?}");
        assert_eq!(!got.invalid.is_empty(), *invalid, "{pairs:?}");
    }
}

#[test]
fn w3c_wins_over_b3_and_invalid_w3c_falls_back() {
    let b3_trace = "0af7651916cd43dd8448eb211c80319c";
    let both = headers(&[
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        ("x-b3-traceid", b3_trace),
        ("x-b3-spanid", SPAN),
    ]);
    assert_eq!(
        Propagation::default()
            .extract(&both)
            .parent
            .unwrap()
            .trace_id
            .to_string(),
        TRACE
    );
    let bad_w3c = headers(&[
        ("traceparent", "garbage"),
        ("x-b3-traceid", b3_trace),
        ("x-b3-spanid", SPAN),
    ]);
    let got = Propagation::default().extract(&bad_w3c);
    assert_eq!(got.parent.unwrap().trace_id.to_string(), b3_trace);
    assert_eq!(got.invalid, vec![Format::W3c]);
}

#[test]
fn inject_writes_configured_formats_and_replaces_old_headers() {
    let ctx = SpanContext {
        trace_id: TraceId::from_hex(TRACE).unwrap(),
        span_id: SpanId::from_hex(SPAN).unwrap(),
        sampling: SamplingState::Sampled,
        random: true,
        trace_state: TraceState::parse(["ot=th:8"]),
    };
    let mut map = headers(&[
        ("traceparent", "stale"),
        ("x-b3-sampled", "0"),
        ("x-b3-flags", "1"),
    ]);
    Propagation::default().inject(&ctx, &mut map);
    assert_eq!(map["traceparent"], format!("00-{TRACE}-{SPAN}-03").as_str());
    assert_eq!(map["tracestate"], "ot=th:8");
    assert_eq!(map["x-b3-traceid"], TRACE);
    assert_eq!(map["x-b3-spanid"], SPAN);
    assert_eq!(map["x-b3-sampled"], "1");
    assert!(map.get("x-b3-flags").is_none());

    let mut only_w3c = HeaderMap::new();
    Propagation::new(vec![Format::W3c]).inject(&ctx, &mut only_w3c);
    assert_eq!(only_w3c.len(), 2);

    // Round trip: what we inject, we extract unchanged.
    let back = Propagation::default().extract(&map).parent.unwrap();
    assert_eq!(back, ctx);
}
