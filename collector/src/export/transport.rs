//! The two wire protocols behind one `send`, and what a successful export reports.

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;

use super::config::{ExporterConfig, Protocol};
use super::otlp_grpc::{GrpcExporter, frame};
use super::otlp_http::HttpExporter;
use super::retry::AttemptError;

/// A request the backend answered with success.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Spans the backend rejected anyway (OTLP partial success).
    pub rejected: u64,
}

impl Delivered {
    /// Reads the partial success of an export response.
    pub fn from_response(response: &ExportTraceServiceResponse) -> Self {
        let rejected = response
            .partial_success
            .as_ref()
            .map_or(0, |p| u64::try_from(p.rejected_spans).unwrap_or(0));
        Self { rejected }
    }
}

/// One exporter's client. Both share hyper's connection pool when cloned, so the
/// requests an exporter keeps in flight reuse connections.
#[derive(Debug, Clone)]
pub enum Transport {
    /// OTLP/gRPC over HTTP/2.
    Grpc(GrpcExporter),
    /// OTLP/HTTP over HTTP/1.1.
    Http(HttpExporter),
}

impl Transport {
    /// The client `config` asks for (TLS, headers, compression); connects lazily.
    pub fn new(config: &ExporterConfig) -> Self {
        match config.protocol {
            Protocol::Grpc => Transport::Grpc(GrpcExporter::new(config)),
            Protocol::Http => Transport::Http(HttpExporter::new(config)),
        }
    }

    /// Turns an encoded request into the body every attempt sends: compressed once, and
    /// framed as a gRPC message for gRPC.
    pub fn prepare(&self, request: &[u8]) -> Result<Bytes, AttemptError> {
        let compression = match self {
            Transport::Grpc(grpc) => grpc.compression(),
            Transport::Http(http) => http.compression(),
        };
        let body = compression
            .compress(request)
            .map_err(|err| AttemptError::Permanent {
                reason: format!("cannot compress export request: {err}"),
            })?;
        match self {
            Transport::Grpc(_) => frame(&body, compression.encoding().is_some()),
            Transport::Http(_) => Ok(body),
        }
    }

    /// One attempt.
    pub async fn send(&self, body: Bytes) -> Result<Delivered, AttemptError> {
        match self {
            Transport::Grpc(grpc) => grpc.send(body).await,
            Transport::Http(http) => http.send(body).await,
        }
    }
}
