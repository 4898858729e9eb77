//! The strategy routes of the control API: read everything, read/set/unset one service,
//! replace the whole document. Writes are authorised first, validated whole by the store,
//! persisted, and audit-logged by the store with the caller's token id.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use http::HeaderMap;
use serde::Serialize;

use super::ControlState;
use super::auth::authorize;
use super::error::ControlError;
use crate::strategy::{
    ChangeOrigin, ServiceEntry, StoreError, StrategiesDocument, StrategyState, StrategyStore, parse,
};

/// `GET`/`PUT /api/v1/sampling`: every strategy, with the version and when it was applied.
#[derive(Debug, Serialize)]
pub struct SamplingView {
    /// Bumped on every change.
    pub version: u64,
    /// When the state was applied, ms since the Unix epoch.
    pub updated_unix_ms: u64,
    /// The same instant, RFC 3339.
    pub updated: String,
    /// The document, as a Jaeger strategies file.
    pub strategies: StrategiesDocument,
}

/// The answer to a change of one service.
#[derive(Debug, Serialize)]
pub struct ChangeView {
    /// The version the change made.
    pub version: u64,
    /// When it was applied, ms since the Unix epoch.
    pub updated_unix_ms: u64,
    /// The same instant, RFC 3339.
    pub updated: String,
    /// The service's entry now (absent after `DELETE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_strategy: Option<ServiceEntry>,
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

fn sampling_view(state: &StrategyState) -> SamplingView {
    SamplingView {
        version: state.version,
        updated_unix_ms: state.updated_unix_ms,
        updated: rfc3339(state.updated()),
        strategies: state.document.clone(),
    }
}

fn change_view(state: &StrategyState, service: &str) -> ChangeView {
    ChangeView {
        version: state.version,
        updated_unix_ms: state.updated_unix_ms,
        updated: rfc3339(state.updated()),
        service_strategy: state.service_entry(service).cloned(),
    }
}

/// Runs a store write off the async workers (it writes a file and may `fsync`).
async fn write<T: Send + 'static>(
    store: &Arc<StrategyStore>,
    change: impl FnOnce(&StrategyStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ControlError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || change(&store))
        .await
        .map_err(|e| ControlError::Internal(e.to_string()))?
        .map_err(ControlError::from)
}

fn origin(state: &ControlState, headers: &HeaderMap) -> Result<ChangeOrigin, ControlError> {
    authorize(state.token.as_ref(), headers).map(|who| ChangeOrigin::Api { who })
}

/// `GET /api/v1/sampling`.
pub async fn list(State(state): State<ControlState>) -> Json<SamplingView> {
    Json(sampling_view(&state.store.current()))
}

/// `PUT /api/v1/sampling`: replaces the whole document (what `meshtrace sampling apply`
/// sends).
pub async fn replace(
    State(state): State<ControlState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SamplingView>, ControlError> {
    let origin = origin(&state, &headers)?;
    let document: StrategiesDocument = parse(&body)?;
    let applied = write(&state.store, move |s| s.replace(document, &origin)).await?;
    Ok(Json(sampling_view(&applied)))
}

/// `GET /api/v1/sampling/services/{service}`: the service's own entry.
pub async fn get_service(
    State(state): State<ControlState>,
    Path(service): Path<String>,
) -> Result<Json<ServiceEntry>, ControlError> {
    state
        .store
        .current()
        .service_entry(&service)
        .cloned()
        .map(Json)
        .ok_or(ControlError::NoSuchService(service))
}

/// `PUT /api/v1/sampling/services/{service}`: sets the entry (creating it if needed).
pub async fn put_service(
    State(state): State<ControlState>,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ChangeView>, ControlError> {
    let origin = origin(&state, &headers)?;
    let mut entry: ServiceEntry = parse(&body)?;
    if entry.service.is_empty() {
        entry.service.clone_from(&service);
    } else if entry.service != service {
        return Err(ControlError::ServiceMismatch {
            path: service,
            body: entry.service,
        });
    }
    let applied = write(&state.store, move |s| s.put_service(entry, &origin)).await?;
    Ok(Json(change_view(&applied, &service)))
}

/// `DELETE /api/v1/sampling/services/{service}`: the service falls back to the default.
pub async fn delete_service(
    State(state): State<ControlState>,
    Path(service): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ChangeView>, ControlError> {
    let origin = origin(&state, &headers)?;
    let name = service.clone();
    let applied = write(&state.store, move |s| s.delete_service(&name, &origin)).await?;
    let applied = applied.ok_or_else(|| ControlError::NoSuchService(service.clone()))?;
    Ok(Json(change_view(&applied, &service)))
}
