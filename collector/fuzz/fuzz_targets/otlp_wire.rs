//! The pass-through walk over an encoded `ExportTraceServiceRequest` against prost: both
//! accept or both refuse, and an accepted request has the span count and id rejections a
//! decode finds.
#![no_main]

use collector::receiver::otlp::check_ids;
use collector::receiver::otlp_wire::scan;
use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let ours = scan(data);
    let decoded = ExportTraceServiceRequest::decode(data);
    assert_eq!(
        ours.is_ok(),
        decoded.is_ok(),
        "walk {ours:?}, prost {decoded:?}"
    );
    let (Ok(scan), Ok(request)) = (ours, decoded) else {
        return;
    };
    let spans: Vec<_> = request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .collect();
    assert_eq!(scan.spans, spans.len());
    let rejected = spans
        .iter()
        .filter(|s| check_ids(&s.trace_id, &s.span_id, &s.parent_span_id).is_err())
        .count();
    assert_eq!(scan.rejected, rejected);
});
