//! OTLP/protobuf `ExportTraceServiceRequest` (the OTLP/HTTP protobuf body; OTLP/gRPC decodes
//! the same message): decode, convert, and check that re-encoding decodes to as many spans.
#![no_main]

use collector::receiver::{Format, decode_otlp_http};
use collector_fuzz::check_otlp;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = decode_otlp_http(Format::Protobuf, data) else {
        return;
    };
    let encoded = request.encode_to_vec();
    let accepted = check_otlp(request);
    let again = decode_otlp_http(Format::Protobuf, &encoded).expect("re-encoded request decodes");
    assert_eq!(check_otlp(again), accepted);
});
