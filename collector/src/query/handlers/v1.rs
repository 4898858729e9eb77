//! The Jaeger UI's query API (`cmd/query/app/http_handler.go` in jaeger): envelopes of
//! `{"data","total","limit","offset","errors"}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};

use super::common::{Pairs, now_unix_nanos, pairs};
use crate::query::dependencies::dependencies as links;
use crate::query::model::{ApiError, DependencyLink, Envelope, JaegerOperation, JaegerTrace};
use crate::query::params::{Form, ParamError, TraceSearch, parse_dependencies, parse_trace_search};
use crate::query::{QueryError, to_jaeger};
use crate::store::{TraceQuery, TraceStore, kind_name, parse_trace_id, to_hex};

type Answer<T> = Result<Json<Envelope<T>>, QueryError>;

fn answer<T>(items: Vec<T>) -> Json<Envelope<Vec<T>>> {
    let total = items.len();
    Json(Envelope::ok(items, total))
}

/// `GET /api/services`.
pub async fn services(State(store): State<Arc<TraceStore>>) -> Json<Envelope<Vec<String>>> {
    answer(store.services())
}

/// `GET /api/services/{service}/operations`: names only, every kind.
pub async fn service_operations(
    State(store): State<Arc<TraceStore>>,
    Path(service): Path<String>,
) -> Json<Envelope<Vec<String>>> {
    answer(store.operations(&service))
}

/// `GET /api/operations?service=S&spanKind=K`: `{name, spanKind}` pairs; `service` is
/// required, as in jaeger.
pub async fn operations(
    State(store): State<Arc<TraceStore>>,
    params: Pairs,
) -> Answer<Vec<JaegerOperation>> {
    let pairs = pairs(params)?;
    let form = Form(&pairs);
    let service = form.get("service").ok_or(ParamError::Required("service"))?;
    let kind = form.span_kind("spanKind")?;
    let operations = store
        .operations_by_kind(service, kind)
        .into_iter()
        .map(|op| JaegerOperation {
            name: op.name,
            span_kind: kind_name(op.kind).unwrap_or(""),
        })
        .collect();
    Ok(answer(operations))
}

/// `GET /api/traces?service&operation&tag&tags&start&end&minDuration&maxDuration&limit&
/// lookback&traceID`. With `traceID`, those traces, and a `traceID` error for each unknown
/// one.
pub async fn find_traces(
    State(store): State<Arc<TraceStore>>,
    params: Pairs,
) -> Answer<Vec<JaegerTrace>> {
    let pairs = pairs(params)?;
    match parse_trace_search(&pairs, now_unix_nanos())? {
        TraceSearch::Query(query) => Ok(answer(
            store.find_traces(&query).iter().map(to_jaeger).collect(),
        )),
        TraceSearch::ByIds(ids) => {
            let mut traces = Vec::new();
            let mut errors = Vec::new();
            for id in ids {
                match store.get_trace(&id) {
                    Some(trace) => traces.push(to_jaeger(&trace)),
                    None => errors.push(ApiError {
                        code: None,
                        msg: QueryError::TraceNotFound.to_string(),
                        trace_id: Some(to_hex(&id)),
                    }),
                }
            }
            let total = traces.len();
            Ok(Json(Envelope::ok(traces, total).with_errors(errors)))
        }
    }
}

/// `GET /api/traces/{traceID}`.
pub async fn get_trace(
    State(store): State<Arc<TraceStore>>,
    Path(trace_id): Path<String>,
) -> Answer<Vec<JaegerTrace>> {
    let trace_id = parse_trace_id(&trace_id)?;
    let trace = store
        .get_trace(&trace_id)
        .ok_or(QueryError::TraceNotFound)?;
    Ok(answer(vec![to_jaeger(&trace)]))
}

/// `GET /api/dependencies?endTs=&lookback=&service=`.
pub async fn dependencies(
    State(store): State<Arc<TraceStore>>,
    params: Pairs,
) -> Answer<Vec<DependencyLink>> {
    let pairs = pairs(params)?;
    let window = parse_dependencies(&pairs, now_unix_nanos())?;
    let traces = store.find_traces(&TraceQuery {
        start_min: Some(window.start),
        start_max: Some(window.end),
        ..TraceQuery::default()
    });
    Ok(answer(links(&traces, &window)))
}
