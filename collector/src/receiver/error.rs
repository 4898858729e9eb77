//! [`ReceiveError`]: everything a receiver can refuse a request for, and the one place where
//! a refusal becomes an HTTP response or a gRPC status.
//!
//! Codes follow the OTLP spec: malformed input is `400` / `INVALID_ARGUMENT` (not retryable),
//! an oversized body `413` / `RESOURCE_EXHAUSTED`, an unknown media type `415`, and a full or
//! stopping pipeline `429`/`503` with `Retry-After` / `UNAVAILABLE` with `RetryInfo`
//! (retryable).

use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use prost::Message;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use crate::pipeline::{Refusal, SubmitError};

/// How long a refused sender should wait before retrying, sent as `Retry-After` / `RetryInfo`.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why a receiver refused a whole request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    /// The (decoded) body is larger than the configured limit.
    #[error("request body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// `max_request_bytes`.
        limit: usize,
    },
    /// `Content-Type` is absent or not one the receiver speaks.
    #[error("unsupported Content-Type {found:?}; expected one of: {expected}")]
    UnsupportedContentType {
        /// The header as received (empty when absent).
        found: String,
        /// The accepted media types, comma separated.
        expected: &'static str,
    },
    /// `Content-Encoding` is none of `gzip`, `zstd` and `identity`.
    #[error("unsupported Content-Encoding {0:?}; expected gzip, zstd or identity")]
    UnsupportedEncoding(String),
    /// The body could not be read from the connection.
    #[error("cannot read request body: {0}")]
    Body(String),
    /// The gzip stream is corrupt.
    #[error("invalid gzip body: {0}")]
    Gzip(String),
    /// The zstd stream is corrupt.
    #[error("invalid zstd body: {0}")]
    Zstd(String),
    /// The payload is not valid in its format; `reason` says where and why.
    #[error("invalid {format} payload: {reason}")]
    Malformed {
        /// The format, e.g. `OTLP/JSON`.
        format: &'static str,
        /// What is wrong, from the decoder.
        reason: String,
    },
    /// The pipeline is at capacity.
    #[error("collector pipeline is full, retry later")]
    PipelineFull,
    /// The collector is stopping.
    #[error("collector is shutting down, retry later")]
    ShuttingDown,
    /// The collector is over its memory limit.
    #[error("collector is over its memory limit, retry later")]
    MemoryLimited,
}

impl From<SubmitError> for ReceiveError {
    fn from(err: SubmitError) -> Self {
        match err {
            // A persistent export queue that cannot take the batch is back-pressure too.
            SubmitError::Full | SubmitError::NotPersisted | SubmitError::ExportBacklog => {
                ReceiveError::PipelineFull
            }
            SubmitError::Closed => ReceiveError::ShuttingDown,
            SubmitError::MemoryLimit => ReceiveError::MemoryLimited,
        }
    }
}

/// The body format of an HTTP error response: the request's format where known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBody {
    /// A protobuf `google.rpc.Status` (`application/x-protobuf`), as OTLP/HTTP requires.
    Protobuf,
    /// `{"code":N,"message":"..."}` (`application/json`), the JSON form of `google.rpc.Status`.
    Json,
    /// The message as `text/plain`.
    Text,
}

impl ReceiveError {
    /// The counter this refusal bumps.
    pub fn refusal(&self) -> Refusal {
        match self {
            Self::TooLarge { .. } => Refusal::TooLarge,
            Self::UnsupportedContentType { .. } | Self::UnsupportedEncoding(_) => {
                Refusal::UnsupportedMediaType
            }
            Self::Body(_) | Self::Gzip(_) | Self::Zstd(_) | Self::Malformed { .. } => {
                Refusal::Malformed
            }
            Self::PipelineFull => Refusal::PipelineFull,
            Self::ShuttingDown => Refusal::ShuttingDown,
            Self::MemoryLimited => Refusal::MemoryLimit,
        }
    }

    /// The gRPC code, also carried in the HTTP error body.
    pub fn code(&self) -> Code {
        match self {
            Self::TooLarge { .. } => Code::ResourceExhausted,
            Self::UnsupportedContentType { .. }
            | Self::UnsupportedEncoding(_)
            | Self::Body(_)
            | Self::Gzip(_)
            | Self::Zstd(_)
            | Self::Malformed { .. } => Code::InvalidArgument,
            Self::PipelineFull | Self::ShuttingDown | Self::MemoryLimited => Code::Unavailable,
        }
    }

    /// The HTTP status.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedContentType { .. } | Self::UnsupportedEncoding(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Body(_) | Self::Gzip(_) | Self::Zstd(_) | Self::Malformed { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::PipelineFull | Self::MemoryLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn retryable(&self) -> bool {
        matches!(
            self,
            Self::PipelineFull | Self::ShuttingDown | Self::MemoryLimited
        )
    }

    /// The gRPC status; retryable refusals carry `RetryInfo`.
    pub fn into_grpc_status(self) -> tonic::Status {
        let code = self.code();
        if self.retryable() {
            let details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
            tonic::Status::with_error_details(code, self.to_string(), details)
        } else {
            tonic::Status::new(code, self.to_string())
        }
    }

    /// The HTTP response with a body in `format`; retryable refusals carry `Retry-After`.
    pub fn into_http_response(self, format: ErrorBody) -> Response {
        let status = self.http_status();
        let code = self.code() as i32;
        let message = self.to_string();
        let mut response = match format {
            ErrorBody::Protobuf => {
                let body = tonic_types::Status {
                    code,
                    message,
                    details: Vec::new(),
                };
                let content_type = [(header::CONTENT_TYPE, "application/x-protobuf")];
                (status, content_type, body.encode_to_vec()).into_response()
            }
            ErrorBody::Json => {
                let body = serde_json::json!({ "code": code, "message": message });
                (status, axum::Json(body)).into_response()
            }
            ErrorBody::Text => (status, message).into_response(),
        };
        if self.retryable() {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER.as_secs()),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn body(response: Response) -> Vec<u8> {
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    }

    #[rustfmt::skip]
    #[test]
    fn status_table() {
        let malformed = ReceiveError::Malformed { format: "OTLP/JSON", reason: "x".into() };
        let media = ReceiveError::UnsupportedContentType { found: "text/xml".into(), expected: "a" };
        let cases: &[(ReceiveError, u16, Code, Refusal)] = &[
            (ReceiveError::TooLarge { limit: 1 },       413, Code::ResourceExhausted, Refusal::TooLarge),
            (media,                                      415, Code::InvalidArgument,   Refusal::UnsupportedMediaType),
            (ReceiveError::UnsupportedEncoding("br".into()), 415, Code::InvalidArgument, Refusal::UnsupportedMediaType),
            (ReceiveError::Gzip("bad".into()),          400, Code::InvalidArgument,   Refusal::Malformed),
            (ReceiveError::Zstd("bad".into()),          400, Code::InvalidArgument,   Refusal::Malformed),
            (malformed,                                  400, Code::InvalidArgument,   Refusal::Malformed),
            (ReceiveError::PipelineFull,                429, Code::Unavailable,       Refusal::PipelineFull),
            (ReceiveError::ShuttingDown,                503, Code::Unavailable,       Refusal::ShuttingDown),
            (ReceiveError::MemoryLimited,               429, Code::Unavailable,       Refusal::MemoryLimit),
        ];
        for (err, http, grpc, refusal) in cases {
            assert_eq!(err.http_status().as_u16(), *http, "{err}");
            assert_eq!(err.code(), *grpc, "{err}");
            assert_eq!(err.refusal(), *refusal, "{err}");
        }
    }

    #[tokio::test]
    async fn protobuf_error_body_is_google_rpc_status() {
        let err = ReceiveError::Malformed {
            format: "OTLP/protobuf",
            reason: "buffer underflow".into(),
        };
        let response = err.into_http_response(ErrorBody::Protobuf);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/x-protobuf"
        );
        let status = tonic_types::Status::decode(body(response).await.as_slice()).unwrap();
        assert_eq!(status.code, 3);
        assert_eq!(
            status.message,
            "invalid OTLP/protobuf payload: buffer underflow"
        );
    }

    #[tokio::test]
    async fn json_error_body_and_retry_after() {
        let response = ReceiveError::PipelineFull.into_http_response(ErrorBody::Json);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let json: serde_json::Value = serde_json::from_slice(&body(response).await).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": 14, "message": "collector pipeline is full, retry later"})
        );
    }

    #[test]
    fn retryable_grpc_status_carries_retry_info() {
        let status = ReceiveError::PipelineFull.into_grpc_status();
        assert_eq!(status.code(), Code::Unavailable);
        let info = status.get_details_retry_info().unwrap();
        assert_eq!(info.retry_delay, Some(RETRY_AFTER));
        let status = ReceiveError::TooLarge { limit: 5 }.into_grpc_status();
        assert!(status.get_details_retry_info().is_none());
    }
}
