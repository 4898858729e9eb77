//! The on-disk form of spans. A chunk holds the spans of one trace written in one
//! transaction, protobuf-encoded (prost), its resources listed once and referred to by
//! position, so a batch's shared resource is written once, not per span. The trace id is
//! in the chunk's key, not repeated per span.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message;

use super::DiskError;
use crate::store::{SpanEvent, SpanStatus, StoredSpan};

/// The spans of one trace from one write.
#[derive(Clone, PartialEq, prost::Message)]
struct Chunk {
    #[prost(message, repeated, tag = "1")]
    resources: Vec<Resource>,
    #[prost(message, repeated, tag = "2")]
    spans: Vec<Span>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Resource {
    #[prost(string, tag = "1")]
    service: String,
    #[prost(message, repeated, tag = "2")]
    attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Span {
    /// The span's store-wide sequence number, part of its index keys.
    #[prost(uint64, tag = "1")]
    seq: u64,
    /// Position of its resource in [`Chunk::resources`].
    #[prost(uint32, tag = "2")]
    resource: u32,
    #[prost(bytes = "vec", tag = "3")]
    span_id: Vec<u8>,
    #[prost(bytes = "vec", optional, tag = "4")]
    parent_span_id: Option<Vec<u8>>,
    #[prost(string, tag = "5")]
    trace_state: String,
    #[prost(string, tag = "6")]
    name: String,
    #[prost(int32, tag = "7")]
    kind: i32,
    #[prost(fixed64, tag = "8")]
    start_unix_nano: u64,
    #[prost(fixed64, tag = "9")]
    end_unix_nano: u64,
    #[prost(message, repeated, tag = "10")]
    attributes: Vec<KeyValue>,
    #[prost(int32, tag = "11")]
    status_code: i32,
    #[prost(string, tag = "12")]
    status_message: String,
    #[prost(message, repeated, tag = "13")]
    events: Vec<Event>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Event {
    #[prost(fixed64, tag = "1")]
    time_unix_nano: u64,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(message, repeated, tag = "3")]
    attributes: Vec<KeyValue>,
}

/// Encodes spans of one trace, each with its sequence number.
pub(super) fn encode(spans: &[(u64, StoredSpan)]) -> Vec<u8> {
    let mut chunk = Chunk::default();
    // Spans of one batch share their resource's `Arc`; compare pointers first (cheap).
    let mut seen: Vec<(Arc<str>, Arc<[KeyValue]>)> = Vec::new();
    for (seq, span) in spans {
        let position = seen.iter().position(|(service, resource)| {
            (Arc::ptr_eq(resource, &span.resource) || **resource == *span.resource)
                && *service == span.service
        });
        let resource = match position {
            Some(position) => position,
            None => {
                seen.push((Arc::clone(&span.service), Arc::clone(&span.resource)));
                chunk.resources.push(Resource {
                    service: span.service.to_string(),
                    attributes: span.resource.to_vec(),
                });
                seen.len() - 1
            }
        };
        chunk.spans.push(Span {
            seq: *seq,
            resource: u32::try_from(resource).unwrap_or(u32::MAX),
            span_id: span.span_id.to_vec(),
            parent_span_id: span.parent_span_id.map(|id| id.to_vec()),
            trace_state: span.trace_state.clone(),
            name: span.name.clone(),
            kind: span.kind as i32,
            start_unix_nano: span.start_unix_nano,
            end_unix_nano: span.end_unix_nano,
            attributes: span.attributes.clone(),
            status_code: span.status.code as i32,
            status_message: span.status.message.clone(),
            events: span
                .events
                .iter()
                .map(|event| Event {
                    time_unix_nano: event.time_unix_nano,
                    name: event.name.clone(),
                    attributes: event.attributes.clone(),
                })
                .collect(),
        });
    }
    chunk.encode_to_vec()
}

/// Decodes a chunk of trace `trace_id` into its spans with their sequence numbers.
pub(super) fn decode(
    trace_id: [u8; 16],
    bytes: &[u8],
) -> Result<Vec<(u64, StoredSpan)>, DiskError> {
    let chunk = Chunk::decode(bytes)?;
    let resources: Vec<(Arc<str>, Arc<[KeyValue]>)> = chunk
        .resources
        .into_iter()
        .map(|r| (Arc::from(r.service), Arc::from(r.attributes)))
        .collect();
    chunk
        .spans
        .into_iter()
        .map(|span| {
            let (service, resource) = usize::try_from(span.resource)
                .ok()
                .and_then(|position| resources.get(position))
                .ok_or(DiskError::Corrupt("span refers to a missing resource"))?;
            let span_id = <[u8; 8]>::try_from(span.span_id.as_slice())
                .map_err(|_| DiskError::Corrupt("span id is not 8 bytes"))?;
            let parent_span_id = span
                .parent_span_id
                .map(|id| <[u8; 8]>::try_from(id.as_slice()))
                .transpose()
                .map_err(|_| DiskError::Corrupt("parent span id is not 8 bytes"))?;
            let stored = StoredSpan {
                trace_id,
                span_id,
                parent_span_id,
                trace_state: span.trace_state,
                name: span.name,
                kind: SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified),
                start_unix_nano: span.start_unix_nano,
                end_unix_nano: span.end_unix_nano,
                service: Arc::clone(service),
                resource: Arc::clone(resource),
                attributes: span.attributes,
                status: SpanStatus {
                    code: StatusCode::try_from(span.status_code).unwrap_or(StatusCode::Unset),
                    message: span.status_message,
                },
                events: span
                    .events
                    .into_iter()
                    .map(|event| SpanEvent {
                        time_unix_nano: event.time_unix_nano,
                        name: event.name,
                        attributes: event.attributes,
                    })
                    .collect(),
            };
            Ok((span.seq, stored))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{kv_str, stored};

    #[test]
    fn round_trip_shares_resources() {
        let mut a = stored(9, 1, None, "svc", "GET /");
        a.attributes.push(kv_str("http.method", "GET"));
        a.status = SpanStatus {
            code: StatusCode::Error,
            message: "boom".into(),
        };
        a.events.push(SpanEvent {
            time_unix_nano: 5,
            name: "exception".into(),
            attributes: vec![kv_str("exception.type", "Io")],
        });
        let mut b = stored(9, 2, Some(1), "svc", "db");
        b.resource = Arc::clone(&a.resource);
        let c = stored(9, 3, Some(1), "other", "op");
        let spans = vec![(1, a), (2, b), (7, c)];
        let bytes = encode(&spans);
        let decoded = decode(spans[0].1.trace_id, &bytes).unwrap();
        assert_eq!(decoded, spans);
        assert!(Arc::ptr_eq(&decoded[0].1.resource, &decoded[1].1.resource));
        assert!(matches!(
            decode([1; 16], &bytes[..bytes.len() / 2]),
            Err(DiskError::Decode(_))
        ));
    }
}
