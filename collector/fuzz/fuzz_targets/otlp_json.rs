//! OTLP/JSON `ExportTraceServiceRequest` (the OTLP/HTTP JSON body): decode and convert.
#![no_main]

use collector::receiver::{Format, decode_otlp_http};
use collector_fuzz::check_otlp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = decode_otlp_http(Format::Json, data) {
        check_otlp(request);
    }
});
