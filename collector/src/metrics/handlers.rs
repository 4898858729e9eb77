//! The HTTP side: `GET /metrics` (OpenMetrics text) and `GET /api/v1/latency` (exact HDR
//! percentiles as JSON), plus [`MetricsApiError`], the one place their failures become
//! responses.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::exposition::{CONTENT_TYPE, render};
use super::sources::{PipelineSnapshot, PipelineSource};
use crate::aggregate::{AggregateError, Aggregator, KindLabel, LatencySummary, Window};

/// What the metrics endpoints read.
#[derive(Clone)]
pub struct MetricsState {
    /// The aggregator every span is fed to.
    pub aggregator: Arc<Aggregator>,
    /// The pipeline's counters, gathered at each scrape; `None` shows none.
    pub pipeline: Option<PipelineSource>,
}

/// `GET /metrics` and `GET /api/v1/latency` over `state`.
pub fn router(state: MetricsState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/api/v1/latency", get(latency))
        .with_state(state)
}

/// What a metrics request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MetricsApiError {
    /// `window` is not `1m`, `5m`, `15m` or `all`.
    #[error("unknown window {0:?}: expected 1m, 5m, 15m or all")]
    UnknownWindow(String),
    /// `span_kind` is not a span kind label.
    #[error(
        "unknown span_kind {0:?}: expected server, client, internal, producer, consumer or unspecified"
    )]
    UnknownSpanKind(String),
    /// The query string could not be read.
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
    /// Writing the exposition failed.
    #[error("cannot render metrics")]
    Render,
    /// The histogram could not be built.
    #[error("{0}")]
    Aggregate(#[from] AggregateError),
}

impl IntoResponse for MetricsApiError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::UnknownWindow(_) | Self::UnknownSpanKind(_) | Self::InvalidQuery(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Render | Self::Aggregate(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = serde_json::json!({ "error": self.to_string() });
        (status, Json(body)).into_response()
    }
}

/// `GET /metrics`: every collector metric in the OpenMetrics text format.
pub async fn metrics(State(state): State<MetricsState>) -> Result<Response, MetricsApiError> {
    let pipeline = state
        .pipeline
        .as_ref()
        .map_or_else(PipelineSnapshot::default, |source| source());
    let text = render(&state.aggregator, &pipeline, Instant::now())
        .map_err(|_| MetricsApiError::Render)?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Query string of `GET /api/v1/latency`; every filter is optional.
#[derive(Debug, Default, Deserialize)]
pub struct LatencyParams {
    /// Only this service.
    pub service: Option<String>,
    /// Only this operation (span name).
    pub operation: Option<String>,
    /// Only this span kind (`server`, `client`, ...).
    pub span_kind: Option<String>,
    /// `1m`, `5m` (default), `15m` or `all`.
    pub window: Option<String>,
}

/// Answer of `GET /api/v1/latency`: the filters echoed and the merged summary.
#[derive(Debug, Serialize)]
pub struct LatencyResponse {
    /// The service filter.
    pub service: Option<String>,
    /// The operation filter.
    pub operation: Option<String>,
    /// The span kind filter.
    pub span_kind: Option<String>,
    /// The window read.
    pub window: &'static str,
    /// Series merged.
    pub series: usize,
    /// Requests, errors, rates and percentiles over those series.
    #[serde(flatten)]
    pub summary: LatencySummary,
}

/// `GET /api/v1/latency?service=&operation=&span_kind=&window=`: exact HDR percentiles,
/// weighted count and rate of the matching series, merged.
pub async fn latency(
    State(state): State<MetricsState>,
    params: Result<Query<LatencyParams>, QueryRejection>,
) -> Result<Json<LatencyResponse>, MetricsApiError> {
    let Query(params) = params.map_err(|e| MetricsApiError::InvalidQuery(e.body_text()))?;
    let window_text = params.window.as_deref().unwrap_or("5m");
    let window = Window::parse(window_text)
        .ok_or_else(|| MetricsApiError::UnknownWindow(window_text.to_owned()))?;
    let kind = match params.span_kind.as_deref().filter(|k| !k.is_empty()) {
        Some(text) => Some(
            KindLabel::parse(text)
                .ok_or_else(|| MetricsApiError::UnknownSpanKind(text.to_owned()))?,
        ),
        None => None,
    };
    let service = params.service.as_deref().filter(|s| !s.is_empty());
    let operation = params.operation.as_deref().filter(|s| !s.is_empty());
    let now = Instant::now();
    let (series, summary) = state.aggregator.summarize(window, now, |key| {
        service.is_none_or(|s| &*key.service == s)
            && operation.is_none_or(|o| &*key.operation == o)
            && kind.is_none_or(|k| key.kind == k)
    })?;
    Ok(Json(LatencyResponse {
        service: service.map(str::to_owned),
        operation: operation.map(str::to_owned),
        span_kind: kind.map(|k| k.label().to_owned()),
        window: window.label(),
        series,
        summary,
    }))
}
