//! The OTLP/gRPC `TraceService` server with a codec that hands the handler the request's
//! protobuf bytes instead of a decoded `ExportTraceServiceRequest`, so the handler decides
//! whether to decode (store, tail sampling) or only validate and forward (pass-through).
//!
//! It is the generated `TraceServiceServer` with the codec swapped: tonic still frames,
//! decompresses (gzip) and enforces the message size limit; the response is the generated
//! `ExportTraceServiceResponse`, encoded by prost.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::SERVICE_NAME;
use tonic::body::Body;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EnabledCompressionEncodings};
use tonic::codegen::Service;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};
use tonic_prost::ProstEncoder;

use super::otlp_grpc::OtlpGrpcReceiver;

/// The one method's path.
pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Requests as received bytes, responses encoded by prost.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRequestCodec;

/// Yields the whole message as [`Bytes`] (no copy: tonic's buffer is split off).
#[derive(Debug, Clone, Copy, Default)]
pub struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawRequestCodec {
    type Encode = ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = ProstEncoder<ExportTraceServiceResponse>;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawDecoder
    }
}

/// The `TraceService` server over [`OtlpGrpcReceiver::export_bytes`].
#[derive(Debug, Clone)]
pub struct TraceServer {
    receiver: Arc<OtlpGrpcReceiver>,
    accept: EnabledCompressionEncodings,
    send: EnabledCompressionEncodings,
    max_request_bytes: usize,
}

impl TraceServer {
    /// gzip accepted (zstd is inflated before, at the edge), gzip sent when the client asks;
    /// messages limited to `max_request_bytes`.
    pub fn new(receiver: OtlpGrpcReceiver, max_request_bytes: usize) -> Self {
        let mut accept = EnabledCompressionEncodings::default();
        accept.enable(CompressionEncoding::Gzip);
        accept.enable(CompressionEncoding::Zstd);
        let mut send = EnabledCompressionEncodings::default();
        send.enable(CompressionEncoding::Gzip);
        Self {
            receiver: Arc::new(receiver),
            accept,
            send,
            max_request_bytes,
        }
    }
}

impl NamedService for TraceServer {
    const NAME: &'static str = SERVICE_NAME;
}

/// The `Export` method.
struct Export(Arc<OtlpGrpcReceiver>);

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl UnaryService<Bytes> for Export {
    type Response = ExportTraceServiceResponse;
    type Future = BoxFuture<Result<Response<ExportTraceServiceResponse>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let receiver = Arc::clone(&self.0);
        Box::pin(async move {
            receiver
                .export_bytes(request.into_inner())
                .await
                .map(Response::new)
        })
    }
}

impl Service<http::Request<Body>> for TraceServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != EXPORT_PATH {
            return Box::pin(async { Ok(Status::new(Code::Unimplemented, "").into_http()) });
        }
        let method = Export(Arc::clone(&self.receiver));
        let mut grpc = Grpc::new(RawRequestCodec)
            .apply_compression_config(self.accept, self.send)
            .apply_max_message_size_config(Some(self.max_request_bytes), None);
        Box::pin(async move { Ok(grpc.unary(method, request).await) })
    }
}
