//! The api_v3 HTTP gateway (`cmd/query/app/apiv3/http_gateway.go` in jaeger): bare JSON
//! objects on success, `{"error":{...}}` on failure, traces as OTLP/JSON in `result`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::common::{Pairs, pairs};
use crate::query::QueryError;
use crate::query::error::V3Error;
use crate::query::otlp::{V3Traces, to_otlp};
use crate::query::params::{Form, check_v3_get, parse_v3_find};
use crate::store::{TraceStore, kind_name, parse_trace_id};

/// `{"services":[...]}`.
#[derive(Serialize)]
pub struct V3Services {
    services: Vec<String>,
}

/// `{"operations":[{"name","spanKind"}]}`; `spanKind` left out when unspecified, as
/// protobuf JSON leaves out empty strings.
#[derive(Serialize)]
pub struct V3Operations {
    operations: Vec<V3Operation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V3Operation {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_kind: Option<&'static str>,
}

/// `GET /api/v3/services`.
pub async fn v3_services(State(store): State<Arc<TraceStore>>) -> Json<V3Services> {
    Json(V3Services {
        services: store.services(),
    })
}

/// `GET /api/v3/operations?service=S&span_kind=K`.
pub async fn v3_operations(
    State(store): State<Arc<TraceStore>>,
    params: Pairs,
) -> Result<Json<V3Operations>, V3Error> {
    let pairs = pairs(params)?;
    let form = Form(&pairs);
    let kind = form.span_kind("span_kind")?;
    let operations = form
        .get("service")
        .map(|service| store.operations_by_kind(service, kind))
        .unwrap_or_default()
        .into_iter()
        .map(|op| V3Operation {
            name: op.name,
            span_kind: kind_name(op.kind),
        })
        .collect();
    Ok(Json(V3Operations { operations }))
}

/// `GET /api/v3/traces?query.service_name=...&query.start_time_min=...`; 404 when nothing
/// matches, as the gateway answers.
pub async fn v3_find_traces(
    State(store): State<Arc<TraceStore>>,
    params: Pairs,
) -> Result<Json<V3Traces>, V3Error> {
    let pairs = pairs(params)?;
    let query = parse_v3_find(&pairs)?;
    let traces = store.find_traces(&query);
    if traces.is_empty() {
        return Err(QueryError::NoTracesFound.into());
    }
    Ok(Json(to_otlp(&traces)))
}

/// `GET /api/v3/traces/{trace_id}`.
pub async fn v3_get_trace(
    State(store): State<Arc<TraceStore>>,
    Path(trace_id): Path<String>,
    params: Pairs,
) -> Result<Json<V3Traces>, V3Error> {
    let trace_id = parse_trace_id(&trace_id)?;
    check_v3_get(&pairs(params)?)?;
    let trace = store
        .get_trace(&trace_id)
        .ok_or(QueryError::NoTracesFound)?;
    Ok(Json(to_otlp(&[trace])))
}
