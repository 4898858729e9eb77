//! Handlers of the Jaeger query API and the health endpoints, plus [`QueryError`], the one
//! place where query failures become HTTP responses.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;

use super::convert::to_jaeger;
use super::model::{Envelope, JaegerTrace};
use crate::store::{TraceIdError, TraceQuery, TraceStore, parse_trace_id};

/// Traces returned by `/api/traces` without a `limit`, as in Jaeger.
pub const DEFAULT_LIMIT: usize = 100;

/// What a query request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No stored trace has this id.
    #[error("trace not found")]
    TraceNotFound,
    /// The trace id in the path is not a hex trace id.
    #[error("invalid trace id: {0}")]
    InvalidTraceId(#[from] TraceIdError),
    /// `limit` is not a non-negative integer.
    #[error("invalid limit {0:?}: expected a non-negative integer")]
    InvalidLimit(String),
    /// The query string could not be read.
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
}

impl QueryError {
    fn status(&self) -> StatusCode {
        match self {
            Self::TraceNotFound => StatusCode::NOT_FOUND,
            Self::InvalidTraceId(_) | Self::InvalidLimit(_) | Self::InvalidQuery(_) => {
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

/// Query string of `GET /api/traces`; the UI's other parameters are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
pub struct TracesParams {
    /// Service name; empty means any.
    pub service: Option<String>,
    /// Operation name; empty means any.
    pub operation: Option<String>,
    /// Most traces to return, as text so a bad value gets the error envelope.
    pub limit: Option<String>,
}

/// `GET /healthz` and `GET /readyz`.
pub async fn ok() -> &'static str {
    "ok"
}

/// `GET /api/services`.
pub async fn services(State(store): State<Arc<TraceStore>>) -> Json<Envelope<Vec<String>>> {
    let services = store.services();
    let total = services.len();
    Json(Envelope::ok(services, total))
}

/// `GET /api/services/{service}/operations`.
pub async fn operations(
    State(store): State<Arc<TraceStore>>,
    Path(service): Path<String>,
) -> Json<Envelope<Vec<String>>> {
    let operations = store.operations(&service);
    let total = operations.len();
    Json(Envelope::ok(operations, total))
}

/// `GET /api/traces?service=S&operation=O&limit=N`.
pub async fn find_traces(
    State(store): State<Arc<TraceStore>>,
    params: Result<Query<TracesParams>, QueryRejection>,
) -> Result<Json<Envelope<Vec<JaegerTrace>>>, QueryError> {
    let Query(params) = params.map_err(|err| QueryError::InvalidQuery(err.body_text()))?;
    let query = TraceQuery {
        service: params.service.filter(|s| !s.is_empty()),
        operation: params.operation.filter(|s| !s.is_empty()),
        limit: parse_limit(params.limit.as_deref())?,
    };
    let traces: Vec<JaegerTrace> = store.find_traces(&query).iter().map(to_jaeger).collect();
    let total = traces.len();
    Ok(Json(Envelope::ok(traces, total)))
}

/// `GET /api/traces/{traceID}`.
pub async fn get_trace(
    State(store): State<Arc<TraceStore>>,
    Path(trace_id): Path<String>,
) -> Result<Json<Envelope<Vec<JaegerTrace>>>, QueryError> {
    let trace_id = parse_trace_id(&trace_id)?;
    let trace = store
        .get_trace(&trace_id)
        .ok_or(QueryError::TraceNotFound)?;
    Ok(Json(Envelope::ok(vec![to_jaeger(&trace)], 1)))
}

fn parse_limit(text: Option<&str>) -> Result<usize, QueryError> {
    match text {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(text) => text
            .parse()
            .map_err(|_| QueryError::InvalidLimit(text.to_owned())),
    }
}
