//! `X-B3-*` headers: each line's first byte picks the header, the rest is its value; extract,
//! inject, extract again.
#![no_main]

use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use sampler::Format;
use sampler_fuzz::{append, check_round_trip, lines};

const NAMES: [&str; 5] = [
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
];

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in lines(data) {
        if let Some((&pick, value)) = line.split_first() {
            append(&mut headers, NAMES[usize::from(pick) % NAMES.len()], value);
        }
    }
    check_round_trip(&headers, Format::B3Multi);
});
