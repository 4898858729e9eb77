//! Zipkin v2 JSON list of spans: parse and convert to stored spans.
#![no_main]

use collector::receiver::Format;
use collector::receiver::zipkin::decode;
use collector_fuzz::check_zipkin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(spans) = decode(Format::Json, data) {
        check_zipkin(&spans);
    }
});
