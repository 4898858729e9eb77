//! OTLP trace data to [`StoredSpan`]s: the shared parsing step of the OTLP receivers.
//!
//! Each span is checked on its own; a malformed span is rejected and counted while the rest
//! of the request goes on, as OTLP partial success requires. [`ingest`] is the one path both
//! OTLP receivers (gRPC and HTTP) take from a decoded request to the pipeline;
//! [`ingest_protobuf`] the one they take from protobuf bytes, which in pass-through skips
//! decoding (`otlp_wire`).

use std::sync::Arc;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span, Status};

use super::error::ReceiveError;
use super::otlp_wire;
use crate::pipeline::{Pipeline, Receiver};
use crate::store::{SpanEvent, SpanStatus, StoredSpan};
use prost::Message;

/// Service name used when a resource has no `service.name`, as the OpenTelemetry SDKs do.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Why one span was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// `trace_id` is not exactly 16 bytes.
    #[error("trace_id must be 16 bytes, got {0}")]
    TraceIdLength(usize),
    /// `trace_id` is all zeros.
    #[error("trace_id must not be all zeros")]
    TraceIdZero,
    /// `span_id` is not exactly 8 bytes.
    #[error("span_id must be 8 bytes, got {0}")]
    SpanIdLength(usize),
    /// `span_id` is all zeros.
    #[error("span_id must not be all zeros")]
    SpanIdZero,
    /// `parent_span_id` is neither empty nor 8 bytes.
    #[error("parent_span_id must be empty or 8 bytes, got {0}")]
    ParentSpanIdLength(usize),
}

/// The result of parsing one export request.
#[derive(Debug, Default)]
pub struct Converted {
    /// The valid spans.
    pub spans: Vec<StoredSpan>,
    /// How many spans were rejected.
    pub rejected: usize,
    /// The first rejection, to explain the partial success.
    pub first_error: Option<SpanError>,
}

/// Parses `request`, hands the valid spans to `pipeline` (waiting only for a persistent export
/// queue's write), counts them for `receiver`, and answers with a partial success naming the
/// first malformed span.
pub async fn ingest(
    pipeline: &Pipeline,
    receiver: Receiver,
    request: ExportTraceServiceRequest,
) -> Result<ExportTraceServiceResponse, ReceiveError> {
    // Exporters get the request as it came (less the rejected spans), so fields the store
    // does not keep (links, scopes, trace state) still reach the backend.
    let original = pipeline
        .carries_otlp()
        .then(|| request.resource_spans.clone());
    let converted = convert_request(request);
    let counters = pipeline.counters();
    let accepted = converted.spans.len();
    if accepted > 0 {
        match original {
            Some(mut otlp) => {
                if converted.rejected > 0 {
                    retain_valid(&mut otlp);
                }
                pipeline.submit_otlp(converted.spans, otlp).await?;
            }
            None => pipeline.submit(converted.spans).await?,
        }
        counters.add_accepted(receiver, accepted);
    }
    counters.add_rejected(receiver, converted.rejected);
    Ok(ExportTraceServiceResponse {
        partial_success: partial_success(converted.rejected, converted.first_error),
    })
}

/// The format named when protobuf bytes are refused.
const PROTOBUF: &str = "OTLP/protobuf";

/// [`ingest`] from an encoded `ExportTraceServiceRequest`. In pass-through (see
/// [`Pipeline::forwards_encoded`]) the bytes are checked by a walk of their encoding and a
/// request whose spans are all valid is handed on as received, with its exact span count;
/// otherwise (or when a span must be rejected) the request is decoded, and the exporters
/// still get it as received when every span is valid.
pub async fn ingest_protobuf(
    pipeline: &Pipeline,
    receiver: Receiver,
    request: Bytes,
) -> Result<ExportTraceServiceResponse, ReceiveError> {
    if pipeline.forwards_encoded() {
        let scan = otlp_wire::scan(&request).map_err(|error| ReceiveError::Malformed {
            format: PROTOBUF,
            reason: error.to_string(),
        })?;
        // Spans with bad ids leave through the decoding path, which removes them: rare, and
        // one place decides partial success.
        if scan.rejected == 0 {
            if scan.spans > 0 {
                pipeline.submit_encoded(request, scan.spans).await?;
                pipeline.counters().add_accepted(receiver, scan.spans);
            }
            return Ok(ExportTraceServiceResponse::default());
        }
    }
    let decoded = decode_protobuf(&request)?;
    if !pipeline.carries_otlp() {
        return ingest(pipeline, receiver, decoded).await;
    }
    // Exporting: the exporters get the request as received when every span is valid, with
    // no copy of the decoded form and no re-encoding.
    let converted = convert_request(decoded);
    if converted.rejected > 0 {
        // Rare: the decoded form, less the rejected spans, is what goes on.
        return ingest(pipeline, receiver, decode_protobuf(&request)?).await;
    }
    let accepted = converted.spans.len();
    if accepted > 0 {
        pipeline
            .submit_with_request(converted.spans, request)
            .await?;
        pipeline.counters().add_accepted(receiver, accepted);
    }
    Ok(ExportTraceServiceResponse::default())
}

fn decode_protobuf(request: &[u8]) -> Result<ExportTraceServiceRequest, ReceiveError> {
    ExportTraceServiceRequest::decode(request).map_err(|error| ReceiveError::Malformed {
        format: PROTOBUF,
        reason: error.to_string(),
    })
}

fn partial_success(rejected: usize, first: Option<SpanError>) -> Option<ExportTracePartialSuccess> {
    if rejected == 0 {
        return None;
    }
    let reason = first.map(|err| err.to_string()).unwrap_or_default();
    Some(ExportTracePartialSuccess {
        rejected_spans: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: format!("{rejected} malformed span(s) rejected; first: {reason}"),
    })
}

/// Parses every span of a request, keeping the valid ones.
pub fn convert_request(request: ExportTraceServiceRequest) -> Converted {
    let mut out = Converted::default();
    for resource_spans in request.resource_spans {
        let resource: Arc<[KeyValue]> = resource_spans
            .resource
            .map(|r| r.attributes)
            .unwrap_or_default()
            .into();
        let service = service_name(&resource);
        let spans = resource_spans.scope_spans.into_iter().flat_map(|s| s.spans);
        for span in spans {
            match convert_span(span, &service, &resource) {
                Ok(span) => out.spans.push(span),
                Err(err) => {
                    out.rejected += 1;
                    out.first_error.get_or_insert(err);
                }
            }
        }
    }
    out
}

/// Removes the spans [`convert_span`] would reject, and any scope or resource left empty.
pub fn retain_valid(resource_spans: &mut Vec<ResourceSpans>) {
    for rs in resource_spans.iter_mut() {
        for scope in &mut rs.scope_spans {
            scope.spans.retain(|span| span_ids(span).is_ok());
        }
        rs.scope_spans.retain(|scope| !scope.spans.is_empty());
    }
    resource_spans.retain(|rs| !rs.scope_spans.is_empty());
}

/// Parses one span emitted by `service` from `resource`.
pub fn convert_span(
    span: Span,
    service: &Arc<str>,
    resource: &Arc<[KeyValue]>,
) -> Result<StoredSpan, SpanError> {
    let (trace_id, span_id, parent_span_id) = span_ids(&span)?;
    Ok(StoredSpan {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        name: span.name,
        kind: SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified),
        start_unix_nano: span.start_time_unix_nano,
        end_unix_nano: span.end_time_unix_nano,
        service: Arc::clone(service),
        resource: Arc::clone(resource),
        attributes: span.attributes,
        status: span.status.map(convert_status).unwrap_or_default(),
        events: span.events.into_iter().map(convert_event).collect(),
    })
}

/// Trace id, span id and parent of a span.
pub type Ids = ([u8; 16], [u8; 8], Option<[u8; 8]>);

/// A span's ids (trace, span, parent as received), checked: the one rule deciding which
/// spans are rejected, on the decoded path and in the pass-through walk (`otlp_wire`).
pub fn check_ids(trace_id: &[u8], span_id: &[u8], parent: &[u8]) -> Result<Ids, SpanError> {
    let trace =
        <[u8; 16]>::try_from(trace_id).map_err(|_| SpanError::TraceIdLength(trace_id.len()))?;
    if trace == [0; 16] {
        return Err(SpanError::TraceIdZero);
    }
    let span = <[u8; 8]>::try_from(span_id).map_err(|_| SpanError::SpanIdLength(span_id.len()))?;
    if span == [0; 8] {
        return Err(SpanError::SpanIdZero);
    }
    let parent_span_id = match parent {
        [] => None,
        bytes => match <[u8; 8]>::try_from(bytes) {
            Ok(id) if id == [0; 8] => None,
            Ok(id) => Some(id),
            Err(_) => return Err(SpanError::ParentSpanIdLength(bytes.len())),
        },
    };
    Ok((trace, span, parent_span_id))
}

/// [`check_ids`] of a decoded span.
fn span_ids(span: &Span) -> Result<Ids, SpanError> {
    check_ids(&span.trace_id, &span.span_id, &span.parent_span_id)
}

/// The `service.name` string attribute of a resource, or [`UNKNOWN_SERVICE`].
pub fn service_name(resource: &[KeyValue]) -> Arc<str> {
    resource
        .iter()
        .filter(|kv| kv.key == "service.name")
        .find_map(
            |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(name)) if !name.is_empty() => {
                    Some(Arc::from(name.as_str()))
                }
                _ => None,
            },
        )
        .unwrap_or_else(|| Arc::from(UNKNOWN_SERVICE))
}

fn convert_status(status: Status) -> SpanStatus {
    SpanStatus {
        code: StatusCode::try_from(status.code).unwrap_or(StatusCode::Unset),
        message: status.message,
    }
}

fn convert_event(event: Event) -> SpanEvent {
    SpanEvent {
        time_unix_nano: event.time_unix_nano,
        name: event.name,
        attributes: event.attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{otlp_span, request};

    const TRACE: [u8; 16] = [0xab; 16];
    const SPAN: [u8; 8] = [0xcd; 8];

    /// trace id, span id, parent span id, expected parent or error.
    type Case = (
        &'static [u8],
        &'static [u8],
        &'static [u8],
        Result<Option<[u8; 8]>, SpanError>,
    );

    #[rustfmt::skip]
    #[test]
    fn span_validation_table() {
        let cases: &[Case] = &[
            (&TRACE,    &SPAN,    &[],       Ok(None)),
            (&TRACE,    &SPAN,    &[0; 8],   Ok(None)),
            (&TRACE,    &SPAN,    &[1; 8],   Ok(Some([1; 8]))),
            (&TRACE,    &SPAN,    &[1; 4],   Err(SpanError::ParentSpanIdLength(4))),
            (&[1; 8],   &SPAN,    &[],       Err(SpanError::TraceIdLength(8))),
            (&[],       &SPAN,    &[],       Err(SpanError::TraceIdLength(0))),
            (&[0; 16],  &SPAN,    &[],       Err(SpanError::TraceIdZero)),
            (&TRACE,    &[1; 16], &[],       Err(SpanError::SpanIdLength(16))),
            (&TRACE,    &[0; 8],  &[],       Err(SpanError::SpanIdZero)),
        ];
        let service: Arc<str> = Arc::from("svc");
        let resource: Arc<[KeyValue]> = Arc::from(Vec::new());
        for (trace, span, parent, want) in cases {
            let got = convert_span(otlp_span(trace, span, parent, "op"), &service, &resource)
                .map(|s| s.parent_span_id);
            assert_eq!(got, *want, "trace {trace:?} span {span:?} parent {parent:?}");
        }
    }

    #[test]
    fn keeps_valid_spans_and_counts_rejections() {
        let converted = convert_request(request(
            "checkout",
            vec![
                otlp_span(&TRACE, &SPAN, &[], "ok"),
                otlp_span(&[1, 2, 3], &SPAN, &[], "bad trace"),
                otlp_span(&TRACE, &[9; 7], &[], "bad span"),
            ],
        ));
        assert_eq!(converted.rejected, 2);
        assert_eq!(converted.first_error, Some(SpanError::TraceIdLength(3)));
        let [span] = converted.spans.as_slice() else {
            panic!("one valid span")
        };
        assert_eq!(&*span.service, "checkout");
        assert_eq!(span.kind, SpanKind::Server);
        assert_eq!(span.resource.len(), 1);
    }

    #[test]
    fn retain_valid_keeps_what_convert_keeps() {
        let mut otlp = request(
            "checkout",
            vec![
                otlp_span(&TRACE, &SPAN, &[], "ok"),
                otlp_span(&[1, 2, 3], &SPAN, &[], "bad trace"),
            ],
        )
        .resource_spans;
        otlp.extend(request("empty", vec![otlp_span(&TRACE, &[0; 8], &[], "bad")]).resource_spans);
        retain_valid(&mut otlp);
        assert_eq!(otlp.len(), 1, "a resource left without spans is removed");
        let names: Vec<_> = otlp[0].scope_spans[0]
            .spans
            .iter()
            .map(|s| &s.name)
            .collect();
        assert_eq!(names, ["ok"]);
    }

    #[tokio::test]
    async fn exporting_pipeline_gets_the_original_spans_less_the_rejected() {
        let (pipeline, mut drain) = Pipeline::bounded(4);
        let pipeline = pipeline.carrying_otlp(true);
        let mut good = otlp_span(&TRACE, &SPAN, &[], "ok");
        good.trace_state = "vendor=1".into();
        let req = request("checkout", vec![good, otlp_span(&[1], &SPAN, &[], "bad")]);
        let response = ingest(&pipeline, Receiver::OtlpGrpc, req).await.unwrap();
        assert_eq!(response.partial_success.unwrap().rejected_spans, 1);
        let batch = drain.recv_accepted().await.unwrap();
        assert_eq!(batch.spans.len(), 1);
        let otlp = batch.otlp.unwrap();
        let spans = &otlp[0].scope_spans[0].spans;
        assert_eq!(spans.len(), 1);
        assert_eq!(
            spans[0].trace_state, "vendor=1",
            "fields the store drops survive"
        );
    }

    #[tokio::test]
    async fn an_exporting_pipeline_gets_the_received_bytes_beside_the_decoded_spans() {
        let (pipeline, mut drain) = Pipeline::bounded(4);
        let pipeline = pipeline.carrying_otlp(true);
        let req = request("checkout", vec![otlp_span(&TRACE, &SPAN, &[], "ok")]);
        let bytes = Bytes::from(req.encode_to_vec());
        let response = ingest_protobuf(&pipeline, Receiver::OtlpHttp, bytes.clone())
            .await
            .unwrap();
        assert_eq!(response.partial_success, None);
        let batch = drain.recv_accepted().await.unwrap();
        assert_eq!(batch.spans.len(), 1, "decoded for the store");
        assert!(batch.otlp.is_none(), "no copy of the decoded form");
        let encoded = batch.encoded.unwrap();
        assert_eq!((encoded.request, encoded.spans), (bytes, 1));
        assert_eq!(pipeline.counters().accepted(Receiver::OtlpHttp), 1);
    }

    #[test]
    fn missing_service_name_is_unknown_service() {
        assert_eq!(&*service_name(&[]), UNKNOWN_SERVICE);
    }
}
