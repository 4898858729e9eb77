//! `uber-trace-id` lines: extract, inject, extract again.
#![no_main]

use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use sampler::Format;
use sampler_fuzz::{append, check_round_trip, lines};

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in lines(data) {
        append(&mut headers, "uber-trace-id", line);
    }
    check_round_trip(&headers, Format::Jaeger);
});
