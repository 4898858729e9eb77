//! OTLP/gRPC `TraceService/Export`: parse, hand to the pipeline without waiting, answer.
//!
//! Malformed spans are rejected one by one with an OTLP partial success; a full pipeline
//! turns the whole request away with `UNAVAILABLE`, which OTLP exporters retry with backoff.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::otlp::{SpanError, convert_request};
use crate::pipeline::{Pipeline, SubmitError};

/// The OTLP/gRPC trace receiver.
#[derive(Debug, Clone)]
pub struct OtlpGrpcReceiver {
    pipeline: Pipeline,
}

impl OtlpGrpcReceiver {
    /// A receiver feeding `pipeline`.
    pub fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }

    /// The tonic service: gzip accepted and, when the client asks, sent; decoded requests
    /// limited to `max_request_bytes`.
    pub fn into_server(self, max_request_bytes: usize) -> TraceServiceServer<Self> {
        TraceServiceServer::new(self)
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(max_request_bytes)
    }
}

#[tonic::async_trait]
impl TraceService for OtlpGrpcReceiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let converted = convert_request(request.into_inner());
        if !converted.spans.is_empty() {
            self.pipeline
                .try_submit(converted.spans)
                .map_err(submit_status)?;
        }
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: partial_success(converted.rejected, converted.first_error),
        }))
    }
}

fn submit_status(err: SubmitError) -> Status {
    match err {
        SubmitError::Full => Status::unavailable("collector pipeline is full, retry later"),
        SubmitError::Closed => Status::unavailable("collector is shutting down, retry later"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{otlp_span, request};

    const TRACE: [u8; 16] = [0x11; 16];

    #[tokio::test]
    async fn rejects_malformed_spans_with_partial_success() {
        let (pipeline, mut drain) = Pipeline::bounded(4);
        let receiver = OtlpGrpcReceiver::new(pipeline);
        let req = request(
            "cart",
            vec![
                otlp_span(&TRACE, &[1; 8], &[], "good"),
                otlp_span(&TRACE[..15], &[2; 8], &[], "short trace id"),
                otlp_span(&TRACE, &[3; 9], &[], "long span id"),
                otlp_span(&TRACE, &[4; 8], &[1; 8], "good child"),
            ],
        );
        let response = receiver
            .export(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        let partial = response.partial_success.unwrap();
        assert_eq!(partial.rejected_spans, 2);
        assert_eq!(
            partial.error_message,
            "2 malformed span(s) rejected; first: trace_id must be 16 bytes, got 15"
        );
        let batch = drain.recv().await.unwrap();
        let names: Vec<_> = batch.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["good", "good child"]);
    }

    #[tokio::test]
    async fn valid_request_has_no_partial_success() {
        let (pipeline, _drain) = Pipeline::bounded(4);
        let receiver = OtlpGrpcReceiver::new(pipeline);
        let req = request("cart", vec![otlp_span(&TRACE, &[1; 8], &[], "good")]);
        let response = receiver
            .export(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.partial_success, None);
    }

    #[tokio::test]
    async fn full_pipeline_answers_unavailable() {
        // Capacity 1 and no drain running: the second request finds the channel full.
        let (pipeline, _drain) = Pipeline::bounded(1);
        let receiver = OtlpGrpcReceiver::new(pipeline.clone());
        let req = || request("cart", vec![otlp_span(&TRACE, &[1; 8], &[], "good")]);
        assert!(receiver.export(Request::new(req())).await.is_ok());
        let status = receiver.export(Request::new(req())).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(pipeline.refused_batches(), 1);
    }

    #[tokio::test]
    async fn closed_pipeline_answers_unavailable() {
        let (pipeline, drain) = Pipeline::bounded(1);
        drop(drain);
        let receiver = OtlpGrpcReceiver::new(pipeline);
        let req = request("cart", vec![otlp_span(&TRACE, &[1; 8], &[], "good")]);
        let status = receiver.export(Request::new(req)).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unavailable);
    }
}
