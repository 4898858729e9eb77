//! `GET /api/dependencies?endTs=&lookback=&service=` parameters (jaeger's
//! `cmd/query/app/http_handler.go` `dependencies`): milliseconds, unlike `/api/traces`.

use super::duration::parse_lookback;
use super::form::{Form, ParamError};

/// Default window of `/api/dependencies`, as in Jaeger (24 hours, in ns).
pub const DEFAULT_DEPENDENCY_LOOKBACK: u64 = 24 * 3_600_000_000_000;

/// The window and service filter of a dependencies request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyWindow {
    /// Earliest span start counted, ns since the epoch.
    pub start: u64,
    /// Latest span start counted, ns since the epoch.
    pub end: u64,
    /// Only links to or from this service.
    pub service: Option<String>,
}

/// Reads `endTs` (ms since the epoch, default `now`), `lookback` (ms, default 24 h; a
/// duration such as `2d` is also taken) and `service`. `now` is ns since the epoch.
pub fn parse_dependencies(
    pairs: &[(String, String)],
    now: u64,
) -> Result<DependencyWindow, ParamError> {
    let form = Form(pairs);
    let end = form
        .integer("endTs")?
        .map_or(now, |millis| millis.saturating_mul(1_000_000));
    let lookback = match form.get("lookback") {
        None => DEFAULT_DEPENDENCY_LOOKBACK,
        Some(text) => match text.parse::<u64>() {
            Ok(millis) => millis.saturating_mul(1_000_000),
            Err(_) => parse_lookback(text)
                .map_err(|source| ParamError::Duration {
                    param: "lookback",
                    source,
                })?
                .unwrap_or(DEFAULT_DEPENDENCY_LOOKBACK),
        },
    };
    Ok(DependencyWindow {
        start: end.saturating_sub(lookback),
        end,
        service: form.get("service").map(str::to_owned),
    })
}
