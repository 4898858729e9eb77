//! Zipkin v2 protobuf `ListOfSpans`: parse and convert to stored spans; an accepted list
//! keeps every span.
#![no_main]

use collector::receiver::Format;
use collector::receiver::zipkin::decode;
use collector::receiver::zipkin::proto::ListOfSpans;
use collector_fuzz::check_zipkin;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(spans) = decode(Format::Protobuf, data) else {
        return;
    };
    check_zipkin(&spans);
    let list = ListOfSpans::decode(data).expect("an accepted body decodes");
    assert_eq!(spans.len(), list.spans.len());
});
