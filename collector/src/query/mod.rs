//! The HTTP API on the `--http` port: the Jaeger UI's query API over the trace store, and
//! the health endpoints.

mod convert;
mod handlers;
mod model;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::store::TraceStore;

pub use convert::to_jaeger;
pub use handlers::{DEFAULT_LIMIT, QueryError, TracesParams};
pub use model::{
    ApiError, Envelope, JaegerLog, JaegerProcess, JaegerReference, JaegerSpan, JaegerTag,
    JaegerTrace,
};

/// The query API and health routes, reading from `store`.
pub fn router(store: Arc<TraceStore>) -> Router {
    Router::new()
        .route("/api/services", get(handlers::services))
        .route(
            "/api/services/{service}/operations",
            get(handlers::operations),
        )
        .route("/api/traces", get(handlers::find_traces))
        .route("/api/traces/{trace_id}", get(handlers::get_trace))
        .route("/healthz", get(handlers::ok))
        .route("/readyz", get(handlers::ok))
        .with_state(store)
}
