//! `traceparent` (first line) with optional `tracestate` lines (the rest): extract, inject,
//! extract again.
#![no_main]

use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use sampler::Format;
use sampler_fuzz::{append, check_round_trip, lines};

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    let mut lines = lines(data);
    if let Some(first) = lines.next() {
        append(&mut headers, "traceparent", first);
    }
    for line in lines {
        append(&mut headers, "tracestate", line);
    }
    check_round_trip(&headers, Format::W3c);
});
