//! OTLP/gRPC `TraceService/Export`: parse, hand to the pipeline without waiting, answer.
//!
//! Malformed spans are rejected one by one with an OTLP partial success; a full pipeline
//! turns the whole request away with `UNAVAILABLE`, which OTLP exporters retry with backoff.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::grpc_edge::OtlpGrpcService;
use super::otlp::ingest;
use crate::pipeline::{Pipeline, Receiver};

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

    /// The tonic service: gzip and zstd accepted, gzip sent when the client asks; decoded
    /// requests limited to `max_request_bytes`.
    pub fn into_server(self, max_request_bytes: usize) -> TraceServiceServer<Self> {
        TraceServiceServer::new(self)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(max_request_bytes)
    }

    /// [`into_server`](Self::into_server) with OTLP status codes and counters for the
    /// refusals tonic makes before the handler runs: what the collector mounts.
    pub fn into_service(self, max_request_bytes: usize) -> OtlpGrpcService {
        let counters = Arc::clone(self.pipeline.counters());
        OtlpGrpcService::new(
            self.into_server(max_request_bytes),
            counters,
            max_request_bytes,
        )
    }
}

#[tonic::async_trait]
impl TraceService for OtlpGrpcReceiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        ingest(&self.pipeline, Receiver::OtlpGrpc, request.into_inner())
            .await
            .map(Response::new)
            .map_err(|err| {
                self.pipeline
                    .counters()
                    .add_refused(Receiver::OtlpGrpc, err.refusal());
                err.into_grpc_status()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Refusal;
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
        let counters = pipeline.counters();
        assert_eq!(
            counters.refused(Receiver::OtlpGrpc, Refusal::PipelineFull),
            1
        );
        assert_eq!(counters.accepted(Receiver::OtlpGrpc), 1);
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
