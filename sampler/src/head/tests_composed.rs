//! The composed head sampler: forced traces, bare upstream decisions, route rules.

use std::time::Duration;

use super::*;
use crate::{SamplingState, SpanContext, SpanId, TraceId, TraceState};

fn trace(low: u64) -> TraceId {
    let mut bytes = [0xaa; 16];
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    TraceId::from_bytes(bytes).unwrap()
}

fn never() -> HeadSampler {
    HeadSampler::new(RootSampler::Const(false))
}

#[test]
fn envoy_force_trace_needs_a_trusted_caller() {
    let forced = RequestInfo {
        force_trace: true,
        trusted: true,
        ..RequestInfo::default()
    };
    let untrusted = RequestInfo {
        force_trace: true,
        ..RequestInfo::default()
    };
    let input = SamplingInput::new(trace(0), None);
    let d = never().decide(&input.with_request(forced));
    assert_eq!(d.sampling, SamplingState::Debug);
    assert_eq!(d.root, Some((SamplerKind::Forced, 1.0)));
    assert_eq!(
        never().decide(&input.with_request(untrusted)).sampling,
        SamplingState::NotSampled
    );
    let off = never().with_force(Force {
        debug: true,
        envoy_force_trace: false,
    });
    assert_eq!(
        off.decide(&input.with_request(forced)).sampling,
        SamplingState::NotSampled
    );

    // Forcing overrides an upstream "no".
    let parent = SpanContext {
        trace_id: trace(0),
        span_id: SpanId::from_bytes([1; 8]).unwrap(),
        sampling: SamplingState::NotSampled,
        random: false,
        trace_state: TraceState::default(),
    };
    let child = SamplingInput::new(trace(0), Some(&parent)).with_request(forced);
    assert_eq!(never().decide(&child).sampling, SamplingState::Debug);
}

#[rustfmt::skip]
const DECISION_ONLY: &[(SamplingState, bool, SamplingState)] = &[
    // (bare decision, root sampler keeps everything?, result)
    (SamplingState::NotSampled, true, SamplingState::NotSampled),
    (SamplingState::Sampled, false, SamplingState::Sampled),
    (SamplingState::Debug, false, SamplingState::Debug),
    (SamplingState::Deferred, true, SamplingState::Sampled),
    (SamplingState::Deferred, false, SamplingState::NotSampled),
];

#[test]
fn bare_decisions_are_honoured_without_ids() {
    for &(bare, keep, want) in DECISION_ONLY {
        let sampler = HeadSampler::new(RootSampler::Const(keep));
        let input = SamplingInput::new(trace(7), None).with_decision_only(Some(bare));
        let d = sampler.decide(&input);
        assert_eq!(d.sampling, want, "{bare:?} keep={keep}");
        // Upstream decisions without ids carry no threshold and are not ours.
        if bare != SamplingState::Deferred {
            assert_eq!((d.threshold, d.root), (None, None), "{bare:?}");
        }
    }
    let no_debug = HeadSampler::new(RootSampler::Const(false)).with_force(Force {
        debug: false,
        envoy_force_trace: true,
    });
    let input = SamplingInput::new(trace(7), None).with_decision_only(Some(SamplingState::Debug));
    assert_eq!(no_debug.decide(&input).sampling, SamplingState::NotSampled);
}

#[test]
fn route_rules_first_match_wins() {
    let rules = PerOperation::new(
        vec![
            RouteRule {
                route: RouteMatch {
                    method: Some("POST".into()),
                    path: PathMatch::Prefix("/api/".into()),
                },
                sampler: RootSampler::Const(true),
            },
            RouteRule {
                route: RouteMatch {
                    method: None,
                    path: PathMatch::Prefix("/api/".into()),
                },
                sampler: RootSampler::Const(false),
            },
            RouteRule {
                route: RouteMatch::operation("GET /health"),
                sampler: RootSampler::Const(false),
            },
        ],
        RootSampler::Const(true),
    );
    let sampler = HeadSampler::new(RootSampler::PerOperation(rules));
    #[rustfmt::skip]
    let cases = [
        ("POST", "/api/orders", true),
        ("GET", "/api/orders", false),
        ("GET", "/health", false),
        ("GET", "/healthz", true),
        ("HEAD", "/health", true),
        ("GET", "/", true),
    ];
    for (method, path, kept) in cases {
        let request = RequestInfo {
            method,
            path,
            ..RequestInfo::default()
        };
        let d = sampler.decide(&SamplingInput::new(trace(1), None).with_request(request));
        assert_eq!(d.sampling.is_sampled(), kept, "{method} {path}");
        assert_eq!(d.root.map(|r| r.0), Some(SamplerKind::Const));
    }
}

#[test]
fn operation_names_without_a_method_match_any_method() {
    let route = RouteMatch::operation("/productpage");
    assert!(route.matches("GET", "/productpage"));
    assert!(route.matches("POST", "/productpage"));
    assert!(!route.matches("GET", "/productpage/x"));
}

#[test]
fn operations_named_after_a_route_template_match_requests_on_that_route() {
    let rules = PerOperation::new(
        vec![RouteRule {
            route: RouteMatch::operation("GET /reviews/{id}"),
            sampler: RootSampler::Const(false),
        }],
        RootSampler::Const(true),
    );
    let sampler = HeadSampler::new(RootSampler::PerOperation(rules));
    #[rustfmt::skip]
    let cases = [
        ("GET", "/reviews/7", Some("/reviews/{id}"), false),
        ("GET", "/reviews/7", None, true),
        ("POST", "/reviews/7", Some("/reviews/{id}"), true),
        ("GET", "/ratings/7", Some("/ratings/{id}"), true),
    ];
    for (method, path, route, kept) in cases {
        let request = RequestInfo {
            method,
            path,
            route,
            ..RequestInfo::default()
        };
        let d = sampler.decide(&SamplingInput::new(trace(1), None).with_request(request));
        assert_eq!(d.sampling.is_sampled(), kept, "{method} {path} {route:?}");
    }
}

#[test]
fn rate_limited_root_uses_now_from_the_input() {
    let sampler = HeadSampler::new(RootSampler::RateLimited(
        RateLimited::new(1.0, 1.0).unwrap(),
    ));
    let at = |secs: u64| {
        sampler.decide(&SamplingInput::new(trace(1), None).at(Duration::from_secs(secs)))
    };
    assert!(at(1).sampling.is_sampled());
    assert!(!at(1).sampling.is_sampled());
    let d = at(2);
    assert!(d.sampling.is_sampled());
    assert_eq!(
        (d.threshold, d.root),
        (None, Some((SamplerKind::RateLimiting, 1.0)))
    );
}

#[test]
fn const_true_writes_th_zero() {
    let d = HeadSampler::new(RootSampler::Const(true)).decide(&SamplingInput::new(trace(0), None));
    assert_eq!(d.threshold.map(|t| t.to_string()), Some("0".into()));
    assert_eq!(d.adjusted_count(), 1.0);
}

#[test]
fn sampler_kind_names() {
    #[rustfmt::skip]
    let names = [
        (SamplerKind::Probabilistic, "probabilistic"),
        (SamplerKind::RateLimiting, "ratelimiting"),
        (SamplerKind::Const, "const"),
        (SamplerKind::LowerBound, "lowerbound"),
        (SamplerKind::Forced, "forced"),
    ];
    for (kind, name) in names {
        assert_eq!(kind.as_str(), name);
    }
}
