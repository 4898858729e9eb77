//! `GET /api/traces` parameters, as the Jaeger UI sends them (`searchTraces` in the UI;
//! parsed like `parseTraceQueryParams` in jaeger's `cmd/query/app/query_parser.go`), into a
//! typed [`TraceSearch`].

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::duration::{parse_go_duration, parse_lookback};
use super::form::{Form, ParamError};
use crate::store::{TraceQuery, parse_trace_id};

/// Traces returned by `/api/traces` without a `limit`, as in Jaeger.
pub const DEFAULT_LIMIT: usize = 100;

/// A parsed `/api/traces` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceSearch {
    /// `traceID` was given (once or more): those traces, whatever the other parameters.
    ByIds(Vec<[u8; 16]>),
    /// A search.
    Query(TraceQuery),
}

/// Reads `service`, `operation`, `tag` (repeated `key:value`), `tags` (JSON object),
/// `start`/`end` (µs), `lookback` (used for `start` when `start` is absent), `minDuration`/
/// `maxDuration` (Go durations), `limit` and `traceID` (repeated). `now` (ns since the
/// epoch) ends a lookback without `end`. Unknown parameters are ignored.
///
/// Unlike jaeger-query, `service` is optional: without it every trace is searched.
pub fn parse_trace_search(pairs: &[(String, String)], now: u64) -> Result<TraceSearch, ParamError> {
    let form = Form(pairs);
    let trace_ids = form
        .all("traceID")
        .map(|id| {
            parse_trace_id(id).map_err(|source| ParamError::TraceId {
                param: "traceID",
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let end = micros_param(&form, "end")?;
    let start = match micros_param(&form, "start")? {
        Some(start) => Some(start),
        None => lookback_start(&form, end.unwrap_or(now))?,
    };
    let duration_min = duration_param(&form, "minDuration")?;
    let duration_max = duration_param(&form, "maxDuration")?;
    if let (Some(min), Some(max)) = (duration_min, duration_max)
        && max < min
    {
        return Err(ParamError::DurationRange {
            min: "minDuration",
            max: "maxDuration",
        });
    }
    let limit = match form.integer("limit")? {
        None => DEFAULT_LIMIT,
        Some(limit) => usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let query = TraceQuery {
        service: form.get("service").map(str::to_owned),
        operation: form.get("operation").map(str::to_owned),
        tags: parse_tags(&form)?,
        start_min: start,
        start_max: end,
        duration_min,
        duration_max,
        limit,
    };
    Ok(if trace_ids.is_empty() {
        TraceSearch::Query(query)
    } else {
        TraceSearch::ByIds(trace_ids)
    })
}

/// A time in microseconds since the epoch, as nanoseconds.
fn micros_param(form: &Form<'_>, name: &'static str) -> Result<Option<u64>, ParamError> {
    Ok(form
        .integer(name)?
        .map(|micros| micros.saturating_mul(1_000)))
}

fn duration_param(form: &Form<'_>, name: &'static str) -> Result<Option<u64>, ParamError> {
    form.get(name)
        .map(|text| {
            parse_go_duration(text).map_err(|source| ParamError::Duration {
                param: name,
                source,
            })
        })
        .transpose()
}

fn lookback_start(form: &Form<'_>, end: u64) -> Result<Option<u64>, ParamError> {
    let Some(text) = form.get("lookback") else {
        return Ok(None);
    };
    let lookback = parse_lookback(text).map_err(|source| ParamError::Duration {
        param: "lookback",
        source,
    })?;
    Ok(lookback.map(|nanos| end.saturating_sub(nanos)))
}

/// `tag=key:value` (split at the first `:`) and `tags={"key":"value"}`; later wins. JSON
/// numbers and booleans are taken as their text (the UI sends strings, other clients may
/// not).
fn parse_tags(form: &Form<'_>) -> Result<BTreeMap<String, String>, ParamError> {
    let mut tags = BTreeMap::new();
    for tag in form.all("tag") {
        let (key, value) = tag
            .split_once(':')
            .ok_or_else(|| ParamError::Tag(tag.to_owned()))?;
        tags.insert(key.to_owned(), value.to_owned());
    }
    for json in form.all("tags") {
        let object: BTreeMap<String, Json> =
            serde_json::from_str(json).map_err(|err| ParamError::Tags(err.to_string()))?;
        for (key, value) in object {
            let value = match value {
                Json::String(s) => s,
                Json::Bool(_) | Json::Number(_) => value.to_string(),
                other => {
                    return Err(ParamError::Tags(format!(
                        "value of {key:?} is {other}, expected a string"
                    )));
                }
            };
            tags.insert(key, value);
        }
    }
    Ok(tags)
}
