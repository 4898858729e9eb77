//! The routes of the `--http` port, all reading one store.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::handlers;
use crate::store::TraceStore;

/// The Jaeger query API (`/api/*`), the api_v3 gateway (`/api/v3/*`) and the health
/// routes, reading from `store`.
pub fn router(store: Arc<TraceStore>) -> Router {
    Router::new()
        .route("/api/services", get(handlers::services))
        .route(
            "/api/services/{service}/operations",
            get(handlers::service_operations),
        )
        .route("/api/operations", get(handlers::operations))
        .route("/api/traces", get(handlers::find_traces))
        .route("/api/traces/{trace_id}", get(handlers::get_trace))
        .route("/api/dependencies", get(handlers::dependencies))
        .route("/api/v3/services", get(handlers::v3_services))
        .route("/api/v3/operations", get(handlers::v3_operations))
        .route("/api/v3/traces", get(handlers::v3_find_traces))
        .route("/api/v3/traces/{trace_id}", get(handlers::v3_get_trace))
        .route("/healthz", get(handlers::ok))
        .route("/readyz", get(handlers::ok))
        .with_state(store)
}
