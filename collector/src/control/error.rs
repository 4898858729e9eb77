//! [`ControlError`]: everything a control API request can fail with, and the one place where
//! those failures become HTTP responses (`{"error": "..."}` with the status).

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::strategy::{ParseError, StoreError};

/// What a control API request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// A write without the right `Authorization: Bearer TOKEN`.
    #[error("this change needs `Authorization: Bearer TOKEN` with the collector's admin token")]
    Unauthorized,
    /// The body is not a strategies document or entry.
    #[error("invalid body: {0}")]
    Body(#[from] ParseError),
    /// The body names another service than the path.
    #[error("the body's service {body:?} is not the path's {path:?}")]
    ServiceMismatch {
        /// From the path.
        path: String,
        /// From the body.
        body: String,
    },
    /// A query parameter cannot be read.
    #[error("invalid query parameter `{name}`: {reason}")]
    Query {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The service has no entry.
    #[error("service {0:?} has no strategy of its own (it uses the default strategy)")]
    NoSuchService(String),
    /// The change is invalid, or could not be persisted.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tail policy document does not parse, or its policies are invalid.
    #[error("invalid tail policy document: {0}")]
    TailPolicies(String),
    /// This collector was started without a replaceable tail policy set.
    #[error("tail sampling control is not available on this collector")]
    NoTailControl,
    /// A write task failed unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ControlError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Body(_) | Self::ServiceMismatch { .. } | Self::Query { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::NoSuchService(_) | Self::NoTailControl => StatusCode::NOT_FOUND,
            Self::TailPolicies(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Store(StoreError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "control API request failed");
        }
        let body = Json(serde_json::json!({ "error": self.to_string() }));
        if status == StatusCode::UNAUTHORIZED {
            let challenge = [(header::WWW_AUTHENTICATE, "Bearer realm=\"meshtrace\"")];
            return (status, challenge, body).into_response();
        }
        (status, body).into_response()
    }
}
