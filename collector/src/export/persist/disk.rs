//! The running persistent queue: appends from the pipeline drain, reads and acknowledgements
//! from the exporter task, one small mutex between them (never held across `.await`).

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use super::cursor::{self, Pos};
use super::segment::{self, FIRST_RECORD, MAGIC, Read};
use crate::export::counters::ExportCounters;

/// Why a batch was not appended; either way its spans were counted as dropped.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The queue holds its bound of bytes.
    #[error("persistent export queue is full")]
    Full,
    /// Writing the record failed.
    #[error("writing to the persistent export queue failed: {0}")]
    Io(#[from] io::Error),
}

/// One record handed to the exporter: the encoded spans and what acknowledges them.
#[derive(Debug, Clone)]
pub struct DiskItem {
    /// `ExportTraceServiceRequest` bytes; several concatenate into one request.
    pub payload: Bytes,
    /// Spans in the payload.
    pub spans: u64,
    /// Pass to [`DiskAcker::ack`] once the backend has them (or they were given up).
    pub ticket: Ticket,
}

/// Names one handed-out record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(Pos);

/// State shared by the writer, the reader and acknowledgements.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) dir: PathBuf,
    pub(super) max_bytes: u64,
    pub(super) segment_bytes: u64,
    pub(super) fsync: bool,
    pub(super) state: Mutex<State>,
    pub(super) notify: Notify,
    pub(super) counters: Arc<ExportCounters>,
}

#[derive(Debug)]
pub(super) struct State {
    /// Live segments: id -> end of their valid data.
    pub(super) segments: BTreeMap<u64, u64>,
    /// The segment being appended to; `None` after a failed write (the next append starts a
    /// new segment rather than writing after a partial record).
    pub(super) writer: Option<(u64, File)>,
    /// Id of the next segment to create.
    pub(super) next_id: u64,
    /// Next record to hand out.
    pub(super) read: Pos,
    /// The persisted acknowledgement cursor.
    pub(super) cursor: Pos,
    /// Records handed out and not yet passed by the cursor, in file order.
    pub(super) handed: VecDeque<Handed>,
    /// Bytes of records from the cursor to the end.
    pub(super) pending_bytes: u64,
    /// No more appends will come.
    pub(super) closed: bool,
    /// With `fsync`: records were written to the current segment since its last sync
    /// (appends deferred to one [`DiskWriter::sync`] for a group of batches).
    pub(super) unsynced: bool,
    /// Syncing deferred records failed (while leaving a segment): the next
    /// [`DiskWriter::sync`] must report it.
    pub(super) sync_lost: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Handed {
    start: Pos,
    len: u64,
    spans: u64,
    acked: bool,
}

/// The appending side, held by the pipeline drain; dropping it lets the reader finish.
#[derive(Debug)]
pub struct DiskWriter {
    pub(super) shared: Arc<Shared>,
}

/// The exporter task's side.
#[derive(Debug)]
pub struct DiskReader {
    shared: Arc<Shared>,
    /// The open file of the segment being read.
    file: Option<(u64, File)>,
}

/// Acknowledges what a [`DiskReader`] handed out; cheap to clone into send tasks.
#[derive(Debug, Clone)]
pub struct DiskAcker {
    shared: Arc<Shared>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters more than losing the queue; keep going with what is there.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Creates segment `id` in `dir`, magic written.
pub(super) fn create_segment(dir: &Path, id: u64, fsync: bool) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .read(true)
        .open(dir.join(segment::file_name(id)))?;
    file.write_all(MAGIC)?;
    if fsync {
        file.sync_all()?;
        File::open(dir)?.sync_all()?;
    }
    Ok(file)
}

impl DiskWriter {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Appends one batch (`payload` holds `spans` spans) and wakes the reader. Never waits on
    /// the network; with `fsync` it waits for the disk.
    pub fn append(&self, spans: u64, payload: &[u8]) -> Result<(), AppendError> {
        self.append_with(spans, payload, true)
    }

    /// [`append`](Self::append) without waiting for the disk even with `fsync`: the batch is
    /// durable only once [`sync`](Self::sync) has returned `Ok` (group commit: one sync for
    /// all the batches appended meanwhile).
    pub fn append_deferred(&self, spans: u64, payload: &[u8]) -> Result<(), AppendError> {
        self.append_with(spans, payload, false)
    }

    /// With `fsync`, waits until every batch appended so far is on the disk; without, does
    /// nothing.
    pub fn sync(&self) -> io::Result<()> {
        let mut state = self.shared.lock();
        if std::mem::take(&mut state.sync_lost) {
            state.unsynced = false;
            return Err(io::Error::other(
                "deferred records could not be synced when their segment was left",
            ));
        }
        state.sync_deferred()
    }

    fn append_with(&self, spans: u64, payload: &[u8], sync: bool) -> Result<(), AppendError> {
        let shared = &self.shared;
        let record = segment::encode(spans, payload);
        let len = record.len() as u64;
        let mut state = shared.lock();
        if state.pending_bytes.saturating_add(len) > shared.max_bytes {
            drop(state);
            shared.counters.add_dropped(spans);
            return Err(AppendError::Full);
        }
        if let Err(error) = state.write(shared, &record, sync) {
            drop(state);
            shared.counters.add_dropped(spans);
            return Err(error.into());
        }
        state.pending_bytes += len;
        shared.counters.set_queue_bytes(state.pending_bytes);
        // Not a bound: the byte bound above is the queue's.
        let _ = shared.counters.try_reserve(spans, u64::MAX);
        drop(state);
        shared.notify.notify_one();
        Ok(())
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.notify.notify_one();
    }
}

impl State {
    /// Writes `record` at the end of the current segment, starting a new one when it is full;
    /// with `fsync`, syncs it now when `sync`, else leaves it for [`DiskWriter::sync`].
    fn write(&mut self, shared: &Shared, record: &[u8], sync: bool) -> io::Result<()> {
        let full = |id: &u64| {
            self.segments
                .get(id)
                .is_none_or(|end| *end >= shared.segment_bytes)
        };
        if self.writer.as_ref().is_none_or(|(id, _)| full(id)) {
            // A segment is left only once what was deferred in it is on the disk.
            if let Err(error) = self.sync_deferred() {
                self.sync_lost = true;
                return Err(error);
            }
            let id = self.next_id;
            let file = create_segment(&shared.dir, id, shared.fsync)?;
            self.next_id += 1;
            self.segments.insert(id, FIRST_RECORD);
            self.writer = Some((id, file));
        }
        let Some((id, file)) = &mut self.writer else {
            return Err(io::Error::other("no segment to write to"));
        };
        let end = self.segments.get(id).copied().unwrap_or(FIRST_RECORD);
        let written = file.write_all(record).and_then(|()| {
            if shared.fsync && sync {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(error) = written {
            // Cut off whatever part was written; the next append starts a fresh segment.
            let _ = file.set_len(end);
            if self.sync_deferred().is_err() {
                self.sync_lost = true;
            }
            self.writer = None;
            return Err(error);
        }
        self.segments.insert(*id, end + record.len() as u64);
        if shared.fsync && !sync {
            self.unsynced = true;
        }
        Ok(())
    }

    /// Syncs the current segment if records were written to it unsynced.
    fn sync_deferred(&mut self) -> io::Result<()> {
        if !std::mem::take(&mut self.unsynced) {
            return Ok(());
        }
        match &self.writer {
            Some((_, file)) => file.sync_data(),
            None => Ok(()),
        }
    }

    /// Where the first record not yet acknowledged starts.
    fn first_unacked(&self) -> Pos {
        self.handed.front().map_or(self.read, |h| h.start)
    }
}

/// What the reader found.
enum Next {
    Item(DiskItem),
    Wait,
    Closed,
}

impl DiskReader {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared, file: None }
    }

    /// An acknowledger for the records this reader hands out.
    pub fn acker(&self) -> DiskAcker {
        DiskAcker {
            shared: Arc::clone(&self.shared),
        }
    }

    /// The next record, waiting for one; `None` once the writer is gone and all were read.
    pub async fn recv(&mut self) -> Option<DiskItem> {
        loop {
            match self.try_next() {
                Next::Item(item) => return Some(item),
                Next::Closed => return None,
                // A wake-up stored while we were not waiting is consumed at once.
                Next::Wait => self.shared.notify.notified().await,
            }
        }
    }

    fn try_next(&mut self) -> Next {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        loop {
            let pos = state.read;
            let end = state.segments.get(&pos.segment).copied();
            let later = state
                .segments
                .range(pos.segment.saturating_add(1)..)
                .next()
                .map(|(id, _)| *id);
            let Some(end) = end.filter(|end| pos.offset < *end) else {
                // The end of this segment: go on to the next, or wait at the last.
                match later {
                    Some(id) => {
                        state.read = Pos {
                            segment: id,
                            offset: FIRST_RECORD,
                        };
                        continue;
                    }
                    None if state.closed => return Next::Closed,
                    None => return Next::Wait,
                }
            };
            let read = self
                .file(pos.segment)
                .and_then(|file| segment::read_at(file, pos.offset, end));
            match read {
                Ok(Read::Record(record)) => {
                    state.read.offset += record.len;
                    state.handed.push_back(Handed {
                        start: pos,
                        len: record.len,
                        spans: record.spans,
                        acked: false,
                    });
                    return Next::Item(DiskItem {
                        payload: record.payload,
                        spans: record.spans,
                        ticket: Ticket(pos),
                    });
                }
                Ok(Read::End) => state.read.offset = end,
                Ok(Read::Corrupt(corruption)) => {
                    self.skip(&mut state, pos, end, &corruption.to_string());
                }
                Err(error) => self.skip(&mut state, pos, end, &error.to_string()),
            }
        }
    }

    /// Passes over unreadable bytes (damaged after the queue was opened, which recovery at
    /// start cannot see): counted, acknowledged at once, never sent.
    fn skip(&mut self, state: &mut State, pos: Pos, end: u64, reason: &str) {
        tracing::warn!(dir = %self.shared.dir.display(), segment = pos.segment, offset = pos.offset, reason, "persistent queue: skipping unreadable data");
        self.shared.counters.add_corrupt_records(1);
        state.read.offset = end;
        state.handed.push_back(Handed {
            start: pos,
            len: end - pos.offset,
            spans: 0,
            acked: true,
        });
        if state
            .writer
            .as_ref()
            .is_some_and(|(id, _)| *id == pos.segment)
        {
            state.writer = None;
        }
        self.file = None;
    }

    fn file(&mut self, id: u64) -> io::Result<&File> {
        if self.file.as_ref().is_none_or(|(open, _)| *open != id) {
            let file = File::open(self.shared.dir.join(segment::file_name(id)))?;
            self.file = Some((id, file));
        }
        match &self.file {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("segment not open")),
        }
    }
}

impl DiskAcker {
    /// Marks records done (sent, or given up for good); moves and persists the cursor past
    /// every leading done record and deletes segments wholly behind it.
    pub fn ack(&self, tickets: &[Ticket]) {
        let shared = &self.shared;
        let mut state = shared.lock();
        for Ticket(pos) in tickets {
            if let Ok(i) = state.handed.binary_search_by_key(pos, |h| h.start) {
                state.handed[i].acked = true;
            }
        }
        let (mut spans, mut bytes) = (0, 0);
        while let Some(done) = state.handed.front().filter(|h| h.acked).copied() {
            state.handed.pop_front();
            spans += done.spans;
            bytes += done.len;
        }
        let cursor = state.first_unacked();
        if cursor != state.cursor {
            if let Err(error) = cursor::store(&shared.dir, cursor, shared.fsync) {
                // Replay will start earlier: duplicates, not loss.
                tracing::warn!(dir = %shared.dir.display(), %error, "persistent queue: cannot store cursor");
            }
            state.cursor = cursor;
            let behind: Vec<u64> = state
                .segments
                .range(..cursor.segment)
                .map(|(id, _)| *id)
                .collect();
            for id in behind {
                state.segments.remove(&id);
                if let Err(error) = std::fs::remove_file(shared.dir.join(segment::file_name(id))) {
                    tracing::warn!(dir = %shared.dir.display(), id, %error, "persistent queue: cannot delete segment");
                }
            }
        }
        state.pending_bytes = state.pending_bytes.saturating_sub(bytes);
        shared.counters.set_queue_bytes(state.pending_bytes);
        drop(state);
        shared.counters.release(spans);
    }
}
