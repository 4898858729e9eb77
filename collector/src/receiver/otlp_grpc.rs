//! OTLP/gRPC `TraceService/Export`: parse (or, in pass-through, only check), hand to the
//! pipeline without waiting, answer.
//!
//! The handler gets the request's bytes (`raw_grpc`). Malformed spans are rejected one by one
//! with an OTLP partial success, a malformed request whole with `INVALID_ARGUMENT`; a full
//! pipeline turns the whole request away with `UNAVAILABLE`, which OTLP exporters retry with
//! backoff.

use std::sync::Arc;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;

use super::grpc_edge::OtlpGrpcService;
use super::otlp::ingest_protobuf;
use super::raw_grpc::TraceServer;
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

    /// The tonic service: gzip and zstd accepted, gzip sent when the client asks; requests
    /// limited to `max_request_bytes`.
    pub fn into_server(self, max_request_bytes: usize) -> TraceServer {
        TraceServer::new(self, max_request_bytes)
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

    /// Handles one `Export` call given the request's protobuf bytes ([`ingest_protobuf`]:
    /// forwarded as received in pass-through, else decoded). Refusals are counted here.
    pub async fn export_bytes(
        &self,
        request: Bytes,
    ) -> Result<ExportTraceServiceResponse, tonic::Status> {
        ingest_protobuf(&self.pipeline, Receiver::OtlpGrpc, request)
            .await
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
    use prost::Message;

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
            .export_bytes(req.encode_to_vec().into())
            .await
            .unwrap();
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
            .export_bytes(req.encode_to_vec().into())
            .await
            .unwrap();
        assert_eq!(response.partial_success, None);
    }

    #[tokio::test]
    async fn full_pipeline_answers_unavailable() {
        // Capacity 1 and no drain running: the second request finds the channel full.
        let (pipeline, _drain) = Pipeline::bounded(1);
        let receiver = OtlpGrpcReceiver::new(pipeline.clone());
        let req = || request("cart", vec![otlp_span(&TRACE, &[1; 8], &[], "good")]);
        assert!(
            receiver
                .export_bytes(req().encode_to_vec().into())
                .await
                .is_ok()
        );
        let status = receiver
            .export_bytes(req().encode_to_vec().into())
            .await
            .unwrap_err();
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
        let status = receiver
            .export_bytes(req.encode_to_vec().into())
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unavailable);
    }

    #[tokio::test]
    async fn passthrough_forwards_the_received_bytes_with_their_span_count() {
        let (pipeline, mut drain) = Pipeline::bounded(4);
        let pipeline = pipeline.carrying_otlp(true).passing_through(true);
        let receiver = OtlpGrpcReceiver::new(pipeline.clone());
        let spans = (1..=3u8)
            .map(|i| otlp_span(&TRACE, &[i; 8], &[], "op"))
            .collect();
        let bytes = Bytes::from(request("cart", spans).encode_to_vec());
        let response = receiver.export_bytes(bytes.clone()).await.unwrap();
        assert_eq!(response.partial_success, None);
        let batch = drain.recv_accepted().await.unwrap();
        assert!(
            batch.spans.is_empty() && batch.otlp.is_none(),
            "not decoded"
        );
        let encoded = batch.encoded.unwrap();
        assert_eq!((encoded.request, encoded.spans), (bytes, 3));
        assert_eq!(pipeline.counters().accepted(Receiver::OtlpGrpc), 3);
    }

    #[tokio::test]
    async fn passthrough_refuses_a_malformed_request_whole() {
        let (pipeline, _drain) = Pipeline::bounded(4);
        let pipeline = pipeline.carrying_otlp(true).passing_through(true);
        let receiver = OtlpGrpcReceiver::new(pipeline.clone());
        let mut bytes =
            request("cart", vec![otlp_span(&TRACE, &[1; 8], &[], "op")]).encode_to_vec();
        bytes.truncate(bytes.len() - 3);
        let status = receiver.export_bytes(bytes.into()).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(
            status
                .message()
                .starts_with("invalid OTLP/protobuf payload: truncated field"),
            "{}",
            status.message()
        );
        let counters = pipeline.counters();
        assert_eq!(counters.refused(Receiver::OtlpGrpc, Refusal::Malformed), 1);
        assert_eq!(counters.accepted(Receiver::OtlpGrpc), 0);
    }

    #[tokio::test]
    async fn passthrough_rejects_bad_spans_through_the_decoding_path() {
        let (pipeline, mut drain) = Pipeline::bounded(4);
        let pipeline = pipeline.carrying_otlp(true).passing_through(true);
        let receiver = OtlpGrpcReceiver::new(pipeline);
        let req = request(
            "cart",
            vec![
                otlp_span(&TRACE, &[1; 8], &[], "good"),
                otlp_span(&TRACE, &[0; 8], &[], "zero span id"),
            ],
        );
        let response = receiver
            .export_bytes(req.encode_to_vec().into())
            .await
            .unwrap();
        assert_eq!(response.partial_success.unwrap().rejected_spans, 1);
        let batch = drain.recv_accepted().await.unwrap();
        assert!(batch.encoded.is_none());
        let otlp = batch.otlp.unwrap();
        assert_eq!(
            otlp[0].scope_spans[0].spans.len(),
            1,
            "the bad span is not forwarded"
        );
    }

    #[tokio::test]
    async fn the_decoding_path_refuses_malformed_requests_too() {
        let (pipeline, _drain) = Pipeline::bounded(4);
        let receiver = OtlpGrpcReceiver::new(pipeline.clone());
        let status = receiver
            .export_bytes(Bytes::from_static(&[0x0a, 0x05, 0x01]))
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            pipeline
                .counters()
                .refused(Receiver::OtlpGrpc, Refusal::Malformed),
            1
        );
    }
}
