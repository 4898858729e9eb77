//! `GET /api/v1/sampling/watch?service=S&version=N[&timeout=30s]`: the long-poll sidecars
//! hold to get strategy changes within a second.
//!
//! Answers `{"version": V, "updated_unix_ms": T, "strategy": ...}` at once when the store's
//! version is not `N` (or `N` is absent), otherwise as soon as it changes, or after the
//! timeout (30 s by default, at most 60 s) with the current state. `strategy` is the Jaeger
//! remote-sampling JSON for `S` (as port 5778 serves it), or `null` when only the built-in
//! fallback would apply (no entry for `S` and no `default_strategy`): the sidecar then keeps
//! its own configured default. Any change bumps the version, so a sidecar may get the same
//! strategy again; it compares before applying.

use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::header;
use serde::Deserialize;

use super::ControlState;
use super::error::ControlError;
use crate::sampling_api::to_jaeger_json;
use crate::strategy::StrategyState;

/// How long a watch waits without `timeout=`.
pub const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `timeout=` honoured; longer ones are cut to it.
pub const MAX_WATCH_TIMEOUT: Duration = Duration::from_secs(60);

/// The query string, as text so bad values get a precise error.
#[derive(Debug, Default, Deserialize)]
pub struct WatchParams {
    /// The service whose strategy is wanted.
    pub service: Option<String>,
    /// The version the caller has.
    pub version: Option<String>,
    /// How long to wait: seconds (`30`, `0.5`) or a duration (`30s`, `500ms`).
    pub timeout: Option<String>,
}

fn query_error(name: &'static str, reason: impl Into<String>) -> ControlError {
    ControlError::Query {
        name,
        reason: reason.into(),
    }
}

fn parse_timeout(text: &str) -> Result<Duration, ControlError> {
    let parsed = match text.parse::<f64>() {
        Ok(secs) => Duration::try_from_secs_f64(secs).map_err(|e| e.to_string()),
        Err(_) => humantime::parse_duration(text).map_err(|e| e.to_string()),
    };
    parsed
        .map(|d| d.min(MAX_WATCH_TIMEOUT))
        .map_err(|reason| query_error("timeout", reason))
}

/// The handler.
pub async fn watch(
    State(state): State<ControlState>,
    query: Result<Query<WatchParams>, QueryRejection>,
) -> Result<Response, ControlError> {
    let Query(params) = query.map_err(|e| query_error("(query string)", e.body_text()))?;
    let service = params
        .service
        .ok_or_else(|| query_error("service", "missing"))?;
    let known = params
        .version
        .map(|v| v.parse::<u64>())
        .transpose()
        .map_err(|e| query_error("version", e.to_string()))?;
    let timeout = params
        .timeout
        .as_deref()
        .map(parse_timeout)
        .transpose()?
        .unwrap_or(state.watch_timeout);

    // Subscribe before reading, so a change in between is not missed.
    let mut changes = state.store.subscribe();
    if let Some(known) = known.filter(|known| *known == state.store.current().version) {
        let mut shutdown = state.shutdown.clone();
        tokio::select! {
            _ = changes.wait_for(|version| *version != known) => {}
            () = tokio::time::sleep(timeout) => {}
            () = stopping(&mut shutdown) => {}
        }
    }
    Ok(respond(&state.store.current(), &service))
}

/// Completes when the collector stops (never without a shutdown signal).
async fn stopping(shutdown: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match shutdown {
        Some(rx) => {
            let _ = rx.wait_for(|stop| *stop).await;
        }
        None => std::future::pending().await,
    }
}

fn respond(state: &StrategyState, service: &str) -> Response {
    let strategy = state
        .resolved
        .configured_for(service)
        .map_or_else(|| "null".to_owned(), to_jaeger_json);
    let body = format!(
        "{{\"version\":{},\"updated_unix_ms\":{},\"strategy\":{strategy}}}",
        state.version, state.updated_unix_ms
    );
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
