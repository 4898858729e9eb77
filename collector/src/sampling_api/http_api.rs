//! Jaeger remote sampling over HTTP (port 5778): `GET /sampling?service=S` and
//! `GET /api/sampling?service=S`, as jaeger `internal/sampling/http/handler.go` serves them:
//! `service` must be given exactly once (else 400 with Jaeger's message, as Go's
//! `http.Error` writes it), and the body is [`to_jaeger_json`].

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{StatusCode, header};

use super::jaeger_json::to_jaeger_json;
use crate::strategy::StrategyStore;

/// Jaeger's answer when `service` is missing or repeated.
pub const SERVICE_PARAMETER_ERROR: &str = "'service' parameter must be provided once";

/// The routes of the remote sampling HTTP server.
pub fn router(store: Arc<StrategyStore>) -> Router {
    Router::new()
        .route("/sampling", get(sampling))
        .route("/api/sampling", get(sampling))
        .with_state(store)
}

/// `GET /sampling` and `GET /api/sampling`.
async fn sampling(
    State(store): State<Arc<StrategyStore>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = query.map(|Query(pairs)| pairs).unwrap_or_default();
    let mut services = pairs.iter().filter(|(key, _)| key == "service");
    let (Some((_, service)), None) = (services.next(), services.next()) else {
        return bad_request();
    };
    let body = to_jaeger_json(store.current().resolved.for_service(service));
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Go's `http.Error`: plain text with a newline, `nosniff`.
fn bad_request() -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        format!("{SERVICE_PARAMETER_ERROR}\n"),
    )
        .into_response()
}
