//! OTLP/HTTP export: protobuf `POST` with a compressed body over a pooled hyper client
//! (HTTP/1.1, over TLS for `https://`).
//!
//! 429, 502, 503 and 504 are retried (honouring `Retry-After`, in seconds or as an HTTP-date),
//! as are connection errors and timeouts; every other non-2xx status gives the batch up.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use super::client::{Pool, Version, failed};
use super::compress::Compression;
use super::config::ExporterConfig;
use super::headers::ExportHeaders;
use super::http_date::parse_imf_fixdate;
use super::retry::AttemptError;
use super::transport::Delivered;

/// Media type of OTLP/HTTP protobuf.
pub const PROTOBUF: &str = "application/x-protobuf";
/// Largest response body read; OTLP responses are a few bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A pooled HTTP/1.1 client posting to one OTLP/HTTP traces URL.
#[derive(Debug, Clone)]
pub struct HttpExporter {
    client: Pool,
    endpoint: Uri,
    request_timeout: Duration,
    headers: ExportHeaders,
    compression: Compression,
}

impl HttpExporter {
    /// An exporter posting to `config.endpoint` (`http(s)://HOST:PORT/PATH`).
    pub fn new(config: &ExporterConfig) -> Self {
        let request_timeout = config.request_timeout;
        Self {
            client: Pool::new(config.tls.as_ref(), Version::Http1, request_timeout),
            endpoint: config.endpoint.clone(),
            request_timeout,
            headers: config.headers.clone(),
            compression: config.compression,
        }
    }

    /// How bodies are compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Posts one `ExportTraceServiceRequest`, compressed as configured, with the configured
    /// headers.
    pub async fn send(&self, body: Bytes) -> Result<Delivered, AttemptError> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.clone())
            .header(header::CONTENT_TYPE, PROTOBUF);
        if let Some(encoding) = self.compression.encoding() {
            builder = builder.header(header::CONTENT_ENCODING, encoding);
        }
        let mut request = builder
            .body(Full::new(body))
            .map_err(|err| AttemptError::Permanent {
                reason: format!("cannot build OTLP/HTTP request: {err}"),
            })?;
        self.headers.apply(request.headers_mut());
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| failed("OTLP/HTTP", &err))?;
            let (parts, body) = response.into_parts();
            // A body that cannot be read only loses the partial-success detail.
            let body = Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok((parts.status, parts.headers, body))
        };
        let (status, headers, body) = tokio::time::timeout(self.request_timeout, exchange)
            .await
            .map_err(|_| AttemptError::Retryable {
                reason: format!(
                    "OTLP/HTTP request timed out after {:?}",
                    self.request_timeout
                ),
                retry_after: None,
            })??;
        if status.is_success() {
            let response = ExportTraceServiceResponse::decode(body).unwrap_or_default();
            return Ok(Delivered::from_response(&response));
        }
        Err(classify(status, &headers, &body, SystemTime::now()))
    }
}

/// Whether a non-2xx answer is worth repeating, per the OTLP/HTTP specification; `now`
/// turns an HTTP-date `Retry-After` into a delay.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> AttemptError {
    let detail = String::from_utf8_lossy(&body[..body.len().min(256)]);
    let reason = format!("OTLP/HTTP {status}: {}", detail.trim());
    match status {
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => AttemptError::Retryable {
            reason,
            retry_after: retry_after(headers, now),
        },
        _ => AttemptError::Permanent { reason },
    }
}

/// `Retry-After` as a delay: delay-seconds, or an IMF-fixdate minus `now` (zero when past).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = parse_imf_fixdate(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2015-10-21 07:27:00 UTC.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_420)
    }

    fn hint(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, value.parse().unwrap());
        retry_after(&headers, now())
    }

    #[test]
    fn retry_after_seconds_or_date() {
        assert_eq!(hint("3"), Some(Duration::from_secs(3)));
        assert_eq!(hint(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            hint("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(hint("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(hint("soon"), None);
        assert_eq!(hint("-1"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn retryable_statuses() {
        let empty = HeaderMap::new();
        for status in [429, 502, 503, 504] {
            let status = StatusCode::from_u16(status).unwrap();
            let got = classify(status, &empty, b"", now());
            assert!(matches!(got, AttemptError::Retryable { .. }), "{status}");
        }
        for status in [400, 401, 404, 413, 500] {
            let status = StatusCode::from_u16(status).unwrap();
            let got = classify(status, &empty, b"bad span", now());
            assert!(
                matches!(got, AttemptError::Permanent { ref reason } if reason.contains("bad span")),
                "{status}"
            );
        }
    }
}
