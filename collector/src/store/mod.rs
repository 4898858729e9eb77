//! The embedded trace store: the end of the ingest path and the source of the query API.
//!
//! Spans arrive already validated ([`StoredSpan`]) from the pipeline; [`TraceStore`] groups
//! them by trace id within hard bounds (traces, spans per trace, approximate bytes, age) and
//! keeps indexes by service, operation, start time and duration so searches do not scan
//! every span (`index`, `search`). That is the in-memory backend (`memory`, the default);
//! the disk backend (`disk`) keeps the same data and indexes in a redb file so traces
//! survive a restart. Both sit behind [`TraceStore`].

mod config;
mod disk;
mod id;
mod index;
mod inner;
mod memory;
mod model;
mod search;
mod size;
mod span;
mod tags;
mod trace_store;

#[cfg(test)]
mod tests;

pub use config::{DEFAULT_MAX_AGE_SECS, DEFAULT_MAX_BYTES, RetentionConfig};
pub use disk::{DATABASE_FILE, DiskError};
pub use id::{TraceIdError, parse_trace_id, to_hex};
pub use memory::InsertOutcome;
pub use model::{Operation, StoreStats, Trace, TraceQuery};
pub use size::approximate_size;
pub use span::{SpanEvent, SpanStatus, StoredSpan};
pub use tags::{kind_name, value_as_string};
pub use trace_store::TraceStore;
