//! The OTLP/gRPC service as mounted: the tonic service wrapped so that refusals tonic makes
//! before our handler runs (oversized, undecodable or unknown-compression messages) get the
//! OTLP codes and are counted like every other refusal.
//!
//! tonic answers an oversized message with `OUT_OF_RANGE` (or `RESOURCE_EXHAUSTED` after
//! decompression) and a codec failure with `INTERNAL`; OTLP wants `RESOURCE_EXHAUSTED` and
//! `INVALID_ARGUMENT`. tonic puts the [`tonic::Status`] of such a
//! trailers-only response in its extensions, which is what is read here. The handler itself
//! refuses with `UNAVAILABLE` or `INVALID_ARGUMENT` (counted where it happens, and not
//! read here), so nothing is counted twice. zstd requests are inflated here first (`grpc_zstd`), within the bounds the HTTP
//! receivers use.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::Code;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::server::NamedService;

use super::error::ReceiveError;
use super::grpc_zstd;
use super::raw_grpc::TraceServer;
use crate::pipeline::{IngestCounters, Receiver};

type Inner = TraceServer;

/// The OTLP/gRPC trace service with OTLP status codes and refusal counters at the edge.
#[derive(Debug, Clone)]
pub struct OtlpGrpcService {
    inner: Inner,
    counters: Arc<IngestCounters>,
    max_request_bytes: usize,
}

impl OtlpGrpcService {
    /// Wraps `inner`, which limits messages to `max_request_bytes`.
    pub(super) fn new(
        inner: Inner,
        counters: Arc<IngestCounters>,
        max_request_bytes: usize,
    ) -> Self {
        Self {
            inner,
            counters,
            max_request_bytes,
        }
    }
}

impl NamedService for OtlpGrpcService {
    const NAME: &'static str = <Inner as NamedService>::NAME;
}

impl Service<http::Request<Body>> for OtlpGrpcService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<http::Request<Body>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let encoding = request
            .headers()
            .get("grpc-encoding")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase());
        // The ready service goes into the future; a fresh clone takes its place (tonic's
        // generated servers are always ready).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let counters = Arc::clone(&self.counters);
        let limit = self.max_request_bytes;
        Box::pin(async move {
            let request = if grpc_zstd::is_zstd(request.headers()) {
                match grpc_zstd::inflate(request, limit).await {
                    Ok(request) => request,
                    Err(refusal) => {
                        counters.add_refused(Receiver::OtlpGrpc, refusal.refusal());
                        return Ok(refusal.into_grpc_status().into_http());
                    }
                }
            } else {
                request
            };
            let response = inner.call(request).await?;
            let Some(refusal) = response
                .extensions()
                .get::<tonic::Status>()
                .and_then(|status| edge_refusal(status, limit, encoding.as_deref()))
            else {
                return Ok(response);
            };
            counters.add_refused(Receiver::OtlpGrpc, refusal.refusal());
            Ok(refusal.into_grpc_status().into_http())
        })
    }
}

/// The refusal behind a status tonic produced while reading the request (compressed with
/// `encoding`, when the client said so), if it is one.
fn edge_refusal(
    status: &tonic::Status,
    limit: usize,
    encoding: Option<&str>,
) -> Option<ReceiveError> {
    match status.code() {
        Code::OutOfRange | Code::ResourceExhausted => Some(ReceiveError::TooLarge { limit }),
        // tonic's wording for a compressed message it could not inflate.
        Code::Internal if status.message().starts_with("Error decompressing") => {
            let reason = status.message().to_owned();
            Some(match encoding {
                Some("zstd") => ReceiveError::Zstd(reason),
                _ => ReceiveError::Gzip(reason),
            })
        }
        Code::Internal => Some(ReceiveError::Malformed {
            format: "OTLP/protobuf",
            reason: status.message().to_owned(),
        }),
        // Unimplemented also answers unknown methods; only an unknown `grpc-encoding` is a
        // refused request.
        Code::Unimplemented if status.message().starts_with("Content is compressed with") => Some(
            ReceiveError::UnsupportedEncoding(status.message().to_owned()),
        ),
        _ => None,
    }
}
