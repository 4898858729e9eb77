//! The writer thread: the only writer of the database. The span path hands it batches
//! through a bounded channel without waiting (a full channel drops the batch and counts its
//! spans); it writes whatever has queued up in one transaction, and expires old traces
//! every [`EXPIRE_EVERY`] when idle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redb::Database;

use super::DiskError;
use super::write::Tables;
use crate::store::inner::Limits;
use crate::store::{InsertOutcome, StoredSpan};

/// How much may wait for the writer, and how much it writes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Queue {
    /// Batches that may wait in the channel.
    pub(super) batches: usize,
    /// Most spans taken from the channel for one transaction (a batch is never split).
    pub(super) spans_per_write: usize,
}

impl Default for Queue {
    fn default() -> Self {
        Self {
            batches: 1024,
            spans_per_write: 20_000,
        }
    }
}

/// How often an idle writer expires old traces.
const EXPIRE_EVERY: Duration = Duration::from_secs(1);

/// What the writer is asked to do.
pub(super) enum Command {
    /// Store spans that arrived at this wall-clock time (ns).
    Write(Vec<StoredSpan>, u64),
    /// Answer once everything queued before is written.
    Flush(SyncSender<()>),
}

/// Lifetime counters of the disk store, shared with readers.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) evicted_traces: AtomicU64,
    pub(super) expired_traces: AtomicU64,
    pub(super) dropped_spans: AtomicU64,
    /// Spans dropped because the writer's queue was full or a write failed.
    pub(super) unwritten_spans: AtomicU64,
}

impl Counters {
    pub(super) fn count(&self, outcome: &InsertOutcome) {
        self.evicted_traces
            .fetch_add(outcome.evicted as u64, Ordering::Relaxed);
        self.expired_traces
            .fetch_add(outcome.expired as u64, Ordering::Relaxed);
        self.dropped_spans
            .fetch_add(outcome.dropped as u64, Ordering::Relaxed);
    }
}

/// Runs until every sender is gone and the queue is empty.
pub(super) fn run(
    db: Arc<Database>,
    limits: Limits,
    counters: Arc<Counters>,
    commands: Receiver<Command>,
    spans_per_write: usize,
) {
    loop {
        let first = match commands.recv_timeout(EXPIRE_EVERY) {
            Ok(command) => command,
            Err(RecvTimeoutError::Timeout) => {
                if let Err(error) = expire(&db, &limits, &counters, now()) {
                    tracing::warn!(%error, "trace store: expiring old traces failed");
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batches = Vec::new();
        let mut acks = Vec::new();
        let mut spans = 0;
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Write(batch, arrived) => {
                    spans += batch.len();
                    batches.push((batch, arrived));
                }
                Command::Flush(ack) => acks.push(ack),
            }
            if spans < spans_per_write {
                next = commands.try_recv().ok();
            }
        }
        if !batches.is_empty() {
            let count: usize = batches.iter().map(|(batch, _)| batch.len()).sum();
            match write(&db, &limits, batches) {
                Ok(outcome) => counters.count(&outcome),
                Err(error) => {
                    counters
                        .unwritten_spans
                        .fetch_add(count as u64, Ordering::Relaxed);
                    tracing::warn!(%error, spans = count, "trace store: write failed, spans lost");
                }
            }
        }
        for ack in acks {
            // The flusher may have stopped waiting.
            let _ = ack.try_send(());
        }
    }
}

/// Writes batches in one transaction; the outcome sums theirs.
pub(super) fn write(
    db: &Database,
    limits: &Limits,
    batches: Vec<(Vec<StoredSpan>, u64)>,
) -> Result<InsertOutcome, DiskError> {
    let txn = db.begin_write()?;
    let mut total = InsertOutcome::default();
    {
        let mut tables = Tables::open(&txn)?;
        for (batch, arrived) in batches {
            total.expired += tables.expire(arrived, limits.max_age)?;
            let outcome = tables.insert(batch, arrived, limits)?;
            total.stored += outcome.stored;
            total.dropped += outcome.dropped;
            total.evicted += outcome.evicted;
        }
        tables.finish()?;
    }
    txn.commit()?;
    Ok(total)
}

/// Expires old traces in a transaction of its own; returns how many.
pub(super) fn expire(
    db: &Database,
    limits: &Limits,
    counters: &Counters,
    now: u64,
) -> Result<usize, DiskError> {
    let txn = db.begin_write()?;
    let expired = {
        let mut tables = Tables::open(&txn)?;
        let expired = tables.expire(now, limits.max_age)?;
        tables.finish()?;
        expired
    };
    if expired == 0 {
        txn.abort()?;
    } else {
        txn.commit()?;
        counters
            .expired_traces
            .fetch_add(expired as u64, Ordering::Relaxed);
    }
    Ok(expired)
}

/// The wall clock in nanoseconds since the Unix epoch.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
