//! What every handler needs: the decoded query string and the current time.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;

use crate::query::QueryError;

/// Decoded query string pairs, repeats kept (`tag`, `traceID` may repeat).
pub type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The pairs, or the envelope error when the query string does not decode.
pub fn pairs(params: Pairs) -> Result<Vec<(String, String)>, QueryError> {
    params
        .map(|Query(pairs)| pairs)
        .map_err(|err| QueryError::InvalidQuery(err.body_text()))
}

/// Wall-clock time in nanoseconds since the Unix epoch (zero before 1970).
pub fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

/// `GET /healthz` and `GET /readyz`.
pub async fn ok() -> &'static str {
    "ok"
}
