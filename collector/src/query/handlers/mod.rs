//! Request handlers: the Jaeger UI's `/api/*` (`v1`), the api_v3 gateway's `/api/v3/*`
//! (`v3`) and the health endpoints. They parse with `params`, read the store, convert, and
//! leave failures to `QueryError`'s responses.

mod common;
mod v1;
mod v3;

pub use common::ok;
pub use v1::{dependencies, find_traces, get_trace, operations, service_operations, services};
pub use v3::{v3_find_traces, v3_get_trace, v3_operations, v3_services};
