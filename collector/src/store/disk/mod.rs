//! The on-disk backend of [`super::TraceStore`]: one redb database file (`traces.redb`) in
//! the store directory, so traces survive a restart.
//!
//! Spans are kept per trace (`chunks`, protobuf, see `codec`) next to index tables by
//! service, operation, start time, duration and tag (`tables`, `rows`), all updated in the
//! same transaction, so after a restart `/api/services`, operations and searches answer at
//! once from what is on disk: nothing is rebuilt. The bounds are those of the memory store:
//! traces, spans per trace, approximate bytes (oldest trace evicted first) and age (counted
//! from the wall-clock arrival of a trace's first span, so it holds across restarts).
//!
//! Only the writer thread (`writer`) writes; the span path never waits for it. Reads run in
//! read transactions on the caller's thread and never wait for the writer either.

mod codec;
mod read;
mod rows;
mod tables;
mod write;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use redb::{Builder, Database, ReadableDatabase};

use super::inner::Limits;
use super::{InsertOutcome, Operation, StoreStats, StoredSpan, Trace, TraceQuery};
use read::Reader;
use writer::{Command, Counters, Queue};

/// The database file inside the store directory.
pub const DATABASE_FILE: &str = "traces.redb";

/// redb's page cache (its default is 1 GiB): enough for the indexes and recent traces; the
/// operating system's page cache holds the rest of the file.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Why the disk store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    /// The store directory cannot be created.
    #[error("cannot create the store directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The operating system's answer.
        source: std::io::Error,
    },
    /// The database file cannot be opened (in use by another process, not a redb file, ...).
    #[error("cannot open the trace database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// redb's answer.
        source: redb::DatabaseError,
    },
    /// The writer thread cannot be started.
    #[error("cannot start the trace store writer: {0}")]
    Spawn(std::io::Error),
    /// A transaction could not begin.
    #[error("trace database transaction: {0}")]
    Transaction(#[from] redb::TransactionError),
    /// A table could not be opened.
    #[error("trace database table: {0}")]
    Table(#[from] redb::TableError),
    /// Reading or writing the file failed.
    #[error("trace database storage: {0}")]
    Storage(#[from] redb::StorageError),
    /// A transaction could not be committed.
    #[error("trace database commit: {0}")]
    Commit(#[from] redb::CommitError),
    /// A stored chunk of spans does not decode.
    #[error("stored spans do not decode: {0}")]
    Decode(#[from] prost::DecodeError),
    /// Stored data is inconsistent.
    #[error("trace database is corrupt: {0}")]
    Corrupt(&'static str),
}

/// The disk store: the database, the writer thread and its queue.
#[derive(Debug)]
pub(super) struct DiskStore {
    db: Arc<Database>,
    limits: Limits,
    counters: Arc<Counters>,
    /// `None` only while dropping.
    commands: Option<SyncSender<Command>>,
    /// `None` only while dropping.
    writer: Option<JoinHandle<()>>,
}

impl DiskStore {
    /// Opens (or creates) the store in `dir` and starts its writer thread.
    pub(super) fn open(dir: &Path, limits: Limits) -> Result<Self, DiskError> {
        Self::open_with(dir, limits, Queue::default())
    }

    /// [`DiskStore::open`] with a writer queue of this size.
    fn open_with(dir: &Path, limits: Limits, queue: Queue) -> Result<Self, DiskError> {
        std::fs::create_dir_all(dir).map_err(|source| DiskError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DATABASE_FILE);
        let db = Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|source| DiskError::Open { path, source })?;
        let db = Arc::new(db);
        // Creates the tables, so read transactions find them; applies the bounds now, as
        // they may have changed since the last run.
        let counters = Arc::new(Counters::default());
        let txn = db.begin_write()?;
        let mut tables = write::Tables::open(&txn)?;
        let evicted = tables.trim(&limits)?;
        tables.finish()?;
        txn.commit()?;
        counters
            .evicted_traces
            .fetch_add(evicted as u64, Ordering::Relaxed);
        writer::expire(&db, &limits, &counters, writer::now())?;
        let (commands, commands_rx) = mpsc::sync_channel(queue.batches);
        let thread = {
            let (db, counters) = (Arc::clone(&db), Arc::clone(&counters));
            std::thread::Builder::new()
                .name("trace-store-writer".into())
                .spawn(move || {
                    writer::run(db, limits, counters, commands_rx, queue.spans_per_write)
                })
                .map_err(DiskError::Spawn)?
        };
        Ok(Self {
            db,
            limits,
            counters,
            commands: Some(commands),
            writer: Some(thread),
        })
    }

    /// Queues spans for the writer without waiting; a full queue drops them, counted.
    pub(super) fn enqueue(&self, spans: Vec<StoredSpan>, arrived: u64) -> InsertOutcome {
        let count = spans.len();
        if count == 0 {
            return InsertOutcome::default();
        }
        let sent = self.commands.as_ref().is_some_and(|tx| {
            match tx.try_send(Command::Write(spans, arrived)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            }
        });
        if sent {
            InsertOutcome {
                stored: count,
                ..InsertOutcome::default()
            }
        } else {
            self.counters
                .unwritten_spans
                .fetch_add(count as u64, Ordering::Relaxed);
            InsertOutcome {
                dropped: count,
                ..InsertOutcome::default()
            }
        }
    }

    /// Expires old traces now, as of wall-clock `now` (ns); returns how many.
    pub(super) fn expire(&self, now: u64) -> usize {
        writer::expire(&self.db, &self.limits, &self.counters, now).unwrap_or_else(|error| {
            tracing::warn!(%error, "trace store: expiring old traces failed");
            0
        })
    }

    /// Waits (at most `timeout`) until everything queued so far is written.
    pub(super) fn flush(&self, timeout: Duration) -> bool {
        let Some(commands) = &self.commands else {
            return false;
        };
        let (ack, done) = mpsc::sync_channel(1);
        // Blocks only while the queue is full, which the writer is emptying.
        commands.send(Command::Flush(ack)).is_ok() && done.recv_timeout(timeout).is_ok()
    }

    pub(super) fn services(&self) -> Vec<String> {
        self.read("services", Reader::services)
    }

    pub(super) fn operations_by_kind(
        &self,
        service: &str,
        kind: Option<SpanKind>,
    ) -> Vec<Operation> {
        self.read("operations", |r| r.operations(service, kind))
    }

    pub(super) fn find_traces(&self, query: &TraceQuery) -> Vec<Trace> {
        self.read("search", |r| r.find(query))
    }

    pub(super) fn get_trace(&self, trace_id: &[u8; 16]) -> Option<Trace> {
        self.read("trace", |r| r.trace(trace_id))
    }

    pub(super) fn stats(&self) -> StoreStats {
        let stats = self.read("stats", Reader::stats);
        let get = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        StoreStats {
            evicted_traces: get(&self.counters.evicted_traces),
            expired_traces: get(&self.counters.expired_traces),
            dropped_spans: get(&self.counters.dropped_spans) + get(&self.counters.unwritten_spans),
            ..stats
        }
    }

    /// Runs `read` on a fresh snapshot; a failure is logged and reads as empty (the query
    /// API's answers are infallible).
    fn read<T: Default>(
        &self,
        what: &'static str,
        read: impl FnOnce(&Reader) -> Result<T, DiskError>,
    ) -> T {
        let max_age = u64::try_from(self.limits.max_age.as_nanos()).unwrap_or(u64::MAX);
        let result = self
            .db
            .begin_read()
            .map_err(DiskError::from)
            .and_then(|txn| read(&Reader::new(txn, writer::now(), max_age)));
        result.unwrap_or_else(|error| {
            tracing::warn!(%error, what, "trace store: read failed");
            T::default()
        })
    }
}

impl Drop for DiskStore {
    /// Lets the writer write what is queued, then waits for it to stop.
    fn drop(&mut self) {
        self.commands = None;
        if let Some(thread) = self.writer.take()
            && thread.join().is_err()
        {
            tracing::warn!("trace store writer panicked");
        }
    }
}
