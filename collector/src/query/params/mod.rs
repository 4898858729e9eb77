//! Query parameters, parsed at the edge into typed values: Go durations and lookbacks,
//! RFC 3339 times, the `/api/traces` search, the dependencies window and the api_v3 search.

mod dependencies;
mod duration;
mod form;
mod rfc3339;
mod traces;
mod v3;

#[cfg(test)]
mod tests;

pub use dependencies::{DEFAULT_DEPENDENCY_LOOKBACK, DependencyWindow, parse_dependencies};
pub use duration::{DurationError, format_go_duration, parse_go_duration, parse_lookback};
pub use form::{Form, ParamError};
pub use rfc3339::parse_rfc3339;
pub use traces::{DEFAULT_LIMIT, TraceSearch, parse_trace_search};
pub use v3::{check_v3_get, parse_v3_find};
