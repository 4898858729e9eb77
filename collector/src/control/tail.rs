//! `GET`/`PUT /api/v1/sampling/tail`: the tail policy document in force, replaced whole at
//! runtime. The body is the OpenTelemetry Collector `tail_sampling` block, YAML or JSON;
//! it is validated whole (every policy built) before it replaces the set, and each trace is
//! then decided by the set current at its decision time.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use http::HeaderMap;
use sampler::tail::{TailPolicyDocument, TailPolicySet};

use super::ControlError;
use super::ControlState;
use super::auth::authorize;

/// `GET /api/v1/sampling/tail`: the document in force.
pub async fn get_tail(
    State(state): State<ControlState>,
) -> Result<Json<TailPolicyDocument>, ControlError> {
    let tail = state.tail.as_ref().ok_or(ControlError::NoTailControl)?;
    Ok(Json(tail.load().document().clone()))
}

/// `PUT /api/v1/sampling/tail`: replaces the document (token required when one is set).
pub async fn put_tail(
    State(state): State<ControlState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TailPolicyDocument>, ControlError> {
    let who = authorize(state.token.as_ref(), &headers)?;
    let tail = state.tail.as_ref().ok_or(ControlError::NoTailControl)?;
    let text = std::str::from_utf8(&body).map_err(|e| ControlError::TailPolicies(e.to_string()))?;
    let document: TailPolicyDocument =
        serde_yaml_ng::from_str(text).map_err(|e| ControlError::TailPolicies(e.to_string()))?;
    let set = TailPolicySet::from_document(document)
        .map_err(|e| ControlError::TailPolicies(e.to_string()))?;
    let names: Vec<String> = set.policy_names().map(str::to_owned).collect();
    let applied = set.document().clone();
    tail.store(Arc::new(set));
    tracing::info!(%who, policies = ?names, "tail policies replaced");
    Ok(Json(applied))
}
