//! Helpers shared by the fuzz targets: the invariants every decoded OTLP request and every
//! converted Zipkin list must keep.

use collector::StoredSpan;
use collector::receiver::otlp::{convert_request, retain_valid};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// Checks the ids of a span the collector accepted: trace and span ids not all zero, a
/// parent never all zero (zero means none).
pub fn check_ids(span: &StoredSpan) {
    assert_ne!(span.trace_id, [0; 16], "{span:?}");
    assert_ne!(span.span_id, [0; 8], "{span:?}");
    assert_ne!(span.parent_span_id, Some([0; 8]), "{span:?}");
    assert!(!span.service.is_empty(), "{span:?}");
}

/// Converts a decoded request as both OTLP receivers do and checks: accepted plus rejected
/// is every span; a first error exactly when something was rejected; `retain_valid` (what
/// exporters get) keeps exactly the accepted spans, in order. Returns the accepted count.
pub fn check_otlp(request: ExportTraceServiceRequest) -> usize {
    let total: usize = request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum();
    let mut kept = request.resource_spans.clone();
    let converted = convert_request(request);
    assert_eq!(converted.spans.len() + converted.rejected, total);
    assert_eq!(converted.first_error.is_some(), converted.rejected > 0);
    converted.spans.iter().for_each(check_ids);
    retain_valid(&mut kept);
    let kept_ids: Vec<_> = kept
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .inspect(|ss| assert!(!ss.spans.is_empty(), "empty scope left"))
        .flat_map(|ss| &ss.spans)
        .map(|s| (s.trace_id.clone(), s.span_id.clone()))
        .collect();
    let accepted_ids: Vec<_> = converted
        .spans
        .iter()
        .map(|s| (s.trace_id.to_vec(), s.span_id.to_vec()))
        .collect();
    assert_eq!(kept_ids, accepted_ids);
    converted.spans.len()
}

/// Checks converted Zipkin spans: valid ids, a parent never the span itself, an end never
/// before the start.
pub fn check_zipkin(spans: &[StoredSpan]) {
    for span in spans {
        check_ids(span);
        assert_ne!(span.parent_span_id, Some(span.span_id), "{span:?}");
        assert!(span.end_unix_nano >= span.start_unix_nano, "{span:?}");
    }
}
