//! `tracestate` lines beside a valid `traceparent`: extract, inject, extract again; then the
//! `ot=` sub-keys and `with_threshold`, whose output the next hop must accept.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use sampler::tracestate::PROPAGATION_LIMIT;
use sampler::{Format, Threshold, TraceState};
use sampler_fuzz::{append, check_round_trip, lines};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
    for line in lines(data) {
        append(&mut headers, "tracestate", line);
    }
    let parent = check_round_trip(&headers, Format::W3c).expect("the traceparent is valid");
    let state = parent.trace_state;
    let _ = (state.threshold(), state.randomness());
    for threshold in [
        None,
        Some(Threshold::ALWAYS),
        Threshold::from_probability(0.3),
    ] {
        let written = state.with_threshold(threshold);
        let text = written.to_header_value();
        assert!(text.len() <= PROPAGATION_LIMIT, "{text:?}");
        if written.to_string().len() <= PROPAGATION_LIMIT {
            let read = TraceState::parse([text.as_str()]);
            assert_eq!(read, written, "with_threshold({threshold:?}) of {state:?}");
            assert_eq!(read.threshold(), threshold, "{text:?}");
        }
    }
});
