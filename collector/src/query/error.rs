//! [`QueryError`], everything a query request can fail with, and the one place where it
//! becomes an HTTP response: the Jaeger envelope for `/api/*` (`structuredResponse` in
//! jaeger's `cmd/query/app/http_handler.go`) and the grpc-gateway error object for
//! `/api/v3/*` ([`V3Error`], `GRPCGatewayError` in `cmd/query/app/apiv3/http_gateway.go`).

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

use super::model::Envelope;
use super::params::ParamError;
use crate::store::TraceIdError;

/// What a query request can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// No stored trace has this id.
    #[error("trace not found")]
    TraceNotFound,
    /// An api_v3 read found nothing (the gateway answers 404 for an empty result).
    #[error("No traces found")]
    NoTracesFound,
    /// The trace id in the path is not a hex trace id.
    #[error("invalid trace id: {0}")]
    InvalidTraceId(#[from] TraceIdError),
    /// A query parameter is malformed; the message names it.
    #[error(transparent)]
    InvalidParam(#[from] ParamError),
    /// The query string could not be decoded at all.
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
}

impl QueryError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TraceNotFound | Self::NoTracesFound => StatusCode::NOT_FOUND,
            Self::InvalidTraceId(_) | Self::InvalidParam(_) | Self::InvalidQuery(_) => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = Envelope::<()>::error(status.as_u16(), self.to_string());
        (status, Json(body)).into_response()
    }
}

/// A [`QueryError`] answered the api_v3 way: `{"error":{"httpCode":N,"message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Error(pub QueryError);

impl From<QueryError> for V3Error {
    fn from(error: QueryError) -> Self {
        Self(error)
    }
}

impl From<ParamError> for V3Error {
    fn from(error: ParamError) -> Self {
        Self(error.into())
    }
}

impl From<TraceIdError> for V3Error {
    fn from(error: TraceIdError) -> Self {
        Self(error.into())
    }
}

#[derive(Serialize)]
struct V3ErrorBody {
    error: V3ErrorDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V3ErrorDetails {
    http_code: u16,
    message: String,
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let body = V3ErrorBody {
            error: V3ErrorDetails {
                http_code: status.as_u16(),
                message: self.0.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}
