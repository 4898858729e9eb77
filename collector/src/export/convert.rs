//! Stored spans back to OTLP, for batches that did not arrive as OTLP (Zipkin).
//!
//! A [`StoredSpan`] holds everything the Zipkin mapping produces, so this is lossless for
//! them. OTLP batches travel through the pipeline in their original form and never come
//! here (see `docs/DECISIONS.md`, Collector).

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

use crate::store::StoredSpan;

/// Groups `spans` by resource (one `ResourceSpans` per distinct resource, in first-seen
/// order) and converts each span.
pub fn to_resource_spans(spans: &[StoredSpan]) -> Vec<ResourceSpans> {
    group_by_resource(
        spans
            .iter()
            .map(|s| (&s.resource, to_span(s, s.span_id, s.parent_span_id))),
    )
}

/// Groups converted spans by the resource that produced them: one `ResourceSpans` per
/// distinct resource, in first-seen order.
pub fn group_by_resource<'a>(
    spans: impl IntoIterator<Item = (&'a Arc<[KeyValue]>, Span)>,
) -> Vec<ResourceSpans> {
    let mut groups: Vec<(&Arc<[KeyValue]>, Vec<Span>)> = Vec::new();
    for (resource, span) in spans {
        let found = groups
            .iter_mut()
            .find(|(seen, _)| Arc::ptr_eq(seen, resource) || **seen == *resource);
        match found {
            Some((_, group)) => group.push(span),
            None => groups.push((resource, vec![span])),
        }
    }
    groups
        .into_iter()
        .map(|(resource, spans)| ResourceSpans {
            resource: Some(Resource {
                attributes: resource.to_vec(),
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect()
}

/// One stored span in OTLP form, with the given ids (the query API shows adjusted ids for
/// Zipkin shared spans; everything else uses the span's own).
pub fn to_span(span: &StoredSpan, span_id: [u8; 8], parent_span_id: Option<[u8; 8]>) -> Span {
    Span {
        trace_id: span.trace_id.to_vec(),
        span_id: span_id.to_vec(),
        parent_span_id: parent_span_id.map(|id| id.to_vec()).unwrap_or_default(),
        trace_state: span.trace_state.clone(),
        name: span.name.clone(),
        kind: span.kind as i32,
        start_time_unix_nano: span.start_unix_nano,
        end_time_unix_nano: span.end_unix_nano,
        attributes: span.attributes.clone(),
        events: span
            .events
            .iter()
            .map(|event| Event {
                time_unix_nano: event.time_unix_nano,
                name: event.name.clone(),
                attributes: event.attributes.clone(),
                ..Default::default()
            })
            .collect(),
        status: Some(Status {
            message: span.status.message.clone(),
            code: span.status.code as i32,
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::otlp::convert_request;
    use crate::test_support::stored;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

    #[test]
    fn round_trips_through_the_receiver_conversion() {
        let spans = vec![
            stored(1, 1, None, "front", "GET /"),
            stored(1, 2, Some(1), "back", "SELECT"),
            stored(1, 3, Some(1), "front", "render"),
        ];
        let resource_spans = to_resource_spans(&spans);
        assert_eq!(resource_spans.len(), 2, "one group per service");
        let converted = convert_request(ExportTraceServiceRequest { resource_spans });
        assert_eq!(converted.rejected, 0);
        let mut back = converted.spans;
        back.sort_by_key(|s| s.span_id);
        assert_eq!(back, spans);
    }
}
