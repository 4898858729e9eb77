//! api_v3 HTTP gateway parameters (`cmd/query/app/apiv3/http_gateway.go`): `query.*` for
//! `/api/v3/traces`, RFC 3339 times and Go durations.

use super::duration::parse_go_duration;
use super::form::{Form, ParamError};
use super::rfc3339::parse_rfc3339;
use crate::store::TraceQuery;

/// Reads `query.service_name`, `query.operation_name`, `query.start_time_min` and
/// `query.start_time_max` (both required, RFC 3339), `query.num_traces`,
/// `query.duration_min` and `query.duration_max` (Go durations). Like the gateway, no
/// attribute filter.
pub fn parse_v3_find(pairs: &[(String, String)]) -> Result<TraceQuery, ParamError> {
    let form = Form(pairs);
    let start_min = time(&form, "query.start_time_min")?;
    let start_max = time(&form, "query.start_time_max")?;
    let duration_min = duration(&form, "query.duration_min")?;
    let duration_max = duration(&form, "query.duration_max")?;
    let limit = form
        .integer("query.num_traces")?
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    Ok(TraceQuery {
        service: form.get("query.service_name").map(str::to_owned),
        operation: form.get("query.operation_name").map(str::to_owned),
        start_min: Some(start_min),
        start_max: Some(start_max),
        duration_min,
        duration_max,
        limit,
        ..TraceQuery::default()
    })
}

/// Checks the optional `start_time` and `end_time` of `/api/v3/traces/{id}`; the store
/// finds a trace by id alone, so they only need to be valid.
pub fn check_v3_get(pairs: &[(String, String)]) -> Result<(), ParamError> {
    let form = Form(pairs);
    for name in ["start_time", "end_time"] {
        if let Some(value) = form.get(name)
            && parse_rfc3339(value).is_none()
        {
            return Err(ParamError::Timestamp {
                param: name,
                value: value.to_owned(),
            });
        }
    }
    Ok(())
}

fn time(form: &Form<'_>, name: &'static str) -> Result<u64, ParamError> {
    let value = form.get(name).ok_or(ParamError::Required(name))?;
    parse_rfc3339(value).ok_or_else(|| ParamError::Timestamp {
        param: name,
        value: value.to_owned(),
    })
}

fn duration(form: &Form<'_>, name: &'static str) -> Result<Option<u64>, ParamError> {
    form.get(name)
        .map(|text| {
            parse_go_duration(text).map_err(|source| ParamError::Duration {
                param: name,
                source,
            })
        })
        .transpose()
}
