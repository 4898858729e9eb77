//! OTLP/gRPC export: `TraceService/Export` as one HTTP/2 `POST` (h2c, or TLS with ALPN `h2`
//! for `grpcs://`) over a pooled hyper client, the message compressed by us.
//!
//! Not tonic's client: tonic compresses at gzip level 6 and offers no way to change it, which
//! measured ~1.5 ms per 512-span request here, 15 times level 1 and more than a core at the
//! collector's throughput target. A unary call is one length-prefixed message out and one
//! message plus trailers back, so the protocol part is small; `grpc_status` reads the status.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, Method, Request, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::client::{Pool, Version, failed};
use super::compress::Compression;
use super::config::ExporterConfig;
use super::grpc_status;
use super::headers::ExportHeaders;
use super::retry::AttemptError;
use super::transport::Delivered;

/// The OTLP trace export method.
pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// Media type of gRPC requests.
const GRPC_CONTENT_TYPE: &str = "application/grpc";
/// Largest response read; OTLP responses are a few bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A pooled HTTP/2 connection (made on first use, remade after failures) to one OTLP/gRPC
/// backend.
#[derive(Debug, Clone)]
pub struct GrpcExporter {
    client: Pool,
    uri: Uri,
    request_timeout: Duration,
    grpc_timeout: HeaderValue,
    headers: ExportHeaders,
    compression: Compression,
}

impl GrpcExporter {
    /// An exporter to `config.endpoint` (`http(s)://HOST:PORT/`); nothing is connected until
    /// the first export, so a backend that is down at start is retried like any other outage.
    pub fn new(config: &ExporterConfig) -> Self {
        let (endpoint, request_timeout) = (&config.endpoint, config.request_timeout);
        let client = Pool::new(config.tls.as_ref(), Version::Http2, request_timeout);
        let mut parts = endpoint.clone().into_parts();
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static(EXPORT_PATH));
        // The endpoint came from a parsed URL, so only the path changed.
        let uri = Uri::from_parts(parts).unwrap_or_else(|_| endpoint.clone());
        let millis = request_timeout.as_millis().min(99_999_999);
        let grpc_timeout = HeaderValue::from_str(&format!("{millis}m"))
            .unwrap_or_else(|_| HeaderValue::from_static("10S"));
        Self {
            client,
            uri,
            request_timeout,
            grpc_timeout,
            headers: config.headers.clone(),
            compression: config.compression,
        }
    }

    /// How messages are compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Sends one framed message (see [`frame`]), compressed as configured, with the
    /// configured headers as metadata.
    pub async fn send(&self, framed: Bytes) -> Result<Delivered, AttemptError> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, GRPC_CONTENT_TYPE)
            .header(header::TE, "trailers")
            .header("grpc-timeout", self.grpc_timeout.clone());
        if let Some(encoding) = self.compression.encoding() {
            builder = builder.header("grpc-encoding", encoding);
        }
        let mut request =
            builder
                .body(Full::new(framed))
                .map_err(|err| AttemptError::Permanent {
                    reason: format!("cannot build OTLP/gRPC request: {err}"),
                })?;
        self.headers.apply(request.headers_mut());
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| failed("OTLP/gRPC", &err))?;
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|err| retryable(format!("OTLP/gRPC response failed: {err}")))?;
            Ok((parts, collected))
        };
        let (parts, collected) = tokio::time::timeout(self.request_timeout, exchange)
            .await
            .map_err(|_| {
                retryable(format!(
                    "OTLP/gRPC request timed out after {:?}",
                    self.request_timeout
                ))
            })??;
        let status = collected
            .trailers()
            .and_then(grpc_status::from_headers)
            .or_else(|| grpc_status::from_headers(&parts.headers))
            .unwrap_or_else(|| grpc_status::from_http(parts.status));
        if status.code() != Code::Ok {
            return Err(classify(&status));
        }
        let response = unframe(&collected.to_bytes()).unwrap_or_default();
        Ok(Delivered::from_response(&response))
    }
}

fn retryable(reason: String) -> AttemptError {
    AttemptError::Retryable {
        reason,
        retry_after: None,
    }
}

/// `payload` as one gRPC message: compressed flag, 4-byte big-endian length, payload.
pub fn frame(payload: &[u8], compressed: bool) -> Result<Bytes, AttemptError> {
    let len = u32::try_from(payload.len()).map_err(|_| AttemptError::Permanent {
        reason: format!("export request of {} bytes is too large", payload.len()),
    })?;
    let mut buf = BytesMut::with_capacity(payload.len() + 5);
    buf.put_u8(u8::from(compressed));
    buf.put_u32(len);
    buf.put_slice(payload);
    Ok(buf.freeze())
}

/// The response message; `None` when absent, compressed (we never ask for that) or
/// malformed, which only loses the partial-success detail.
fn unframe(data: &[u8]) -> Option<ExportTraceServiceResponse> {
    let (&compressed, rest) = data.split_first()?;
    let len: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len)).ok()?;
    let payload = rest.get(4..4usize.checked_add(len)?)?;
    if compressed != 0 {
        return None;
    }
    ExportTraceServiceResponse::decode(payload).ok()
}

/// Whether a failed call is worth repeating, per the OTLP specification's table of
/// retryable codes; `RESOURCE_EXHAUSTED` only when the server says when (`RetryInfo`).
pub fn classify(status: &Status) -> AttemptError {
    let retry_after = status
        .get_details_retry_info()
        .and_then(|info| info.retry_delay);
    let reason = format!("OTLP/gRPC {:?}: {}", status.code(), status.message());
    let retryable = match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => true,
        Code::ResourceExhausted => retry_after.is_some(),
        _ => false,
    };
    if retryable {
        AttemptError::Retryable {
            reason,
            retry_after,
        }
    } else {
        AttemptError::Permanent { reason }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess;
    use tonic_types::ErrorDetails;

    use super::*;

    fn retryable(status: &Status) -> Option<Option<Duration>> {
        match classify(status) {
            AttemptError::Retryable { retry_after, .. } => Some(retry_after),
            AttemptError::Permanent { .. } => None,
        }
    }

    #[test]
    fn retryable_codes_follow_the_otlp_table() {
        for code in [Code::Unavailable, Code::DeadlineExceeded, Code::Aborted] {
            assert_eq!(retryable(&Status::new(code, "x")), Some(None), "{code:?}");
        }
        for code in [Code::InvalidArgument, Code::Unauthenticated, Code::Internal] {
            assert_eq!(retryable(&Status::new(code, "x")), None, "{code:?}");
        }
        assert_eq!(retryable(&Status::resource_exhausted("no hint")), None);
    }

    #[test]
    fn retry_info_is_read() {
        let details = ErrorDetails::with_retry_info(Some(Duration::from_millis(1500)));
        let status = Status::with_error_details(Code::ResourceExhausted, "slow down", details);
        assert_eq!(retryable(&status), Some(Some(Duration::from_millis(1500))));
    }

    #[test]
    fn frames_round_trip_and_bad_frames_are_none() {
        let response = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 2,
                error_message: "bad".into(),
            }),
        };
        let mut framed = frame(&response.encode_to_vec(), true).unwrap().to_vec();
        assert_eq!(framed[0], 1, "requests are marked compressed");
        framed[0] = 0;
        assert_eq!(unframe(&framed), Some(response));
        assert_eq!(unframe(&framed[..framed.len() - 1]), None, "truncated");
        assert_eq!(
            unframe(&[0, 0xff, 0xff, 0xff, 0xff]),
            None,
            "length past the end"
        );
        assert_eq!(unframe(&[0, 0, 0]), None);
        assert_eq!(unframe(&[]), None);
        framed[0] = 1;
        assert_eq!(unframe(&framed), None, "compressed answers are not read");
        assert_eq!(frame(b"x", false).unwrap().as_ref(), [0, 0, 0, 0, 1, b'x']);
    }
}
