//! The HTTP API on the `--http` port: the Jaeger UI's query API and the api_v3 gateway over
//! the trace store, and the health endpoints.
//!
//! `params` parses requests into typed values, `handlers` answer them, `adjust` prepares a
//! trace for display as jaeger-query does, `convert` and `otlp` write the Jaeger and OTLP
//! JSON, `dependencies` derives the service graph, and `error` is the one place failures
//! become responses.

mod adjust;
mod convert;
mod dependencies;
mod error;
mod handlers;
mod model;
mod otlp;
mod params;
mod router;

#[cfg(test)]
mod tests;

pub use adjust::{ShownSpan, adjust};
pub use convert::to_jaeger;
pub use dependencies::dependencies;
pub use error::{QueryError, V3Error};
pub use model::{
    ApiError, DependencyLink, Envelope, JaegerLog, JaegerOperation, JaegerProcess, JaegerReference,
    JaegerSpan, JaegerTag, JaegerTrace,
};
pub use otlp::{V3Traces, to_otlp};
pub use params::{
    DEFAULT_DEPENDENCY_LOOKBACK, DEFAULT_LIMIT, DependencyWindow, DurationError, ParamError,
    TraceSearch, format_go_duration, parse_dependencies, parse_go_duration, parse_lookback,
    parse_rfc3339, parse_trace_search, parse_v3_find,
};
pub use router::router;
