//! Opening a persistent queue: find the segments, load the cursor, check every record not yet
//! acknowledged, cut off torn or corrupt tails (counted, not fatal), and start a fresh segment
//! for this run's appends.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::cursor::{self, Pos};
use super::disk::{DiskReader, DiskWriter, Shared, State, create_segment};
use super::segment::{self, FIRST_RECORD};
use super::{OpenError, PersistConfig};
use crate::export::counters::ExportCounters;

/// What recovery found, for the start-up log and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Records waiting to be sent again.
    pub records: u64,
    /// Spans in them.
    pub spans: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Torn or corrupt records cut off.
    pub corrupt: u64,
}

/// Opens (or creates) the queue in `config.dir`, counting into `counters`.
pub fn open(
    config: &PersistConfig,
    counters: Arc<ExportCounters>,
) -> Result<(DiskWriter, DiskReader, Recovered), OpenError> {
    let dir = config.dir.clone();
    let fail = |source: io::Error| OpenError {
        dir: dir.clone(),
        source,
    };
    fs::create_dir_all(&dir).map_err(fail)?;
    let ids = segment_ids(&dir).map_err(fail)?;
    let saved = cursor::load(&dir).map_err(fail)?;
    if saved.is_none() && !ids.is_empty() {
        tracing::warn!(dir = %dir.display(), "persistent queue: no readable cursor; replaying every segment");
    }
    let start = saved.unwrap_or(Pos {
        segment: ids.first().copied().unwrap_or(0),
        offset: FIRST_RECORD,
    });
    let mut found = Recovered::default();
    let mut segments = BTreeMap::new();
    for &id in &ids {
        let path = dir.join(segment::file_name(id));
        if id < start.segment {
            fs::remove_file(&path).map_err(fail)?;
            continue;
        }
        let from = if id == start.segment {
            start.offset.max(FIRST_RECORD)
        } else {
            FIRST_RECORD
        };
        match check_segment(&path, from).map_err(fail)? {
            Checked::Records(end, scan) => {
                found.records += scan.records;
                found.spans += scan.spans;
                found.bytes += scan.bytes;
                if let Some(corruption) = scan.corrupt {
                    found.corrupt += 1;
                    tracing::warn!(path = %path.display(), offset = end, %corruption, "persistent queue: cut off a damaged record and what follows it");
                }
                segments.insert(id, end);
            }
            // Created but killed before its magic was written: nothing in it.
            Checked::Empty => fs::remove_file(&path).map_err(fail)?,
            Checked::NotSegment => {
                found.corrupt += 1;
                tracing::warn!(path = %path.display(), "persistent queue: not a segment (bad magic); removed");
                fs::remove_file(&path).map_err(fail)?;
            }
        }
    }
    let next_id = ids
        .last()
        .copied()
        .unwrap_or(0)
        .max(start.segment)
        .saturating_add(1);
    // This run appends to a fresh segment, never after a record it did not write.
    let writer = create_segment(&dir, next_id, config.fsync).map_err(fail)?;
    segments.insert(next_id, FIRST_RECORD);
    let mut read = match segments.range(start.segment..).next() {
        Some((&id, _)) if id == start.segment => Pos {
            segment: id,
            offset: start.offset.max(FIRST_RECORD),
        },
        Some((&id, _)) => Pos {
            segment: id,
            offset: FIRST_RECORD,
        },
        None => Pos {
            segment: next_id,
            offset: FIRST_RECORD,
        },
    };
    // Segments with nothing left to send (all acknowledged, or empty) go now.
    while read.segment != next_id
        && segments
            .get(&read.segment)
            .is_none_or(|end| read.offset >= *end)
    {
        segments.remove(&read.segment);
        fs::remove_file(dir.join(segment::file_name(read.segment))).map_err(fail)?;
        let later = segments
            .range(read.segment..)
            .next()
            .map_or(next_id, |(id, _)| *id);
        read = Pos {
            segment: later,
            offset: FIRST_RECORD,
        };
    }
    cursor::store(&dir, read, config.fsync).map_err(fail)?;
    counters.add_corrupt_records(found.corrupt);
    counters.set_queue_bytes(found.bytes);
    // Not a bound: the byte bound is the queue's.
    let _ = counters.try_reserve(found.spans, u64::MAX);
    if found != Recovered::default() {
        tracing::info!(dir = %dir.display(), spans = found.spans, bytes = found.bytes, corrupt = found.corrupt, "persistent queue: replaying what the last run left");
    }
    let shared = Arc::new(Shared {
        dir,
        max_bytes: config.max_bytes,
        segment_bytes: config.segment_bytes,
        fsync: config.fsync,
        state: Mutex::new(State {
            segments,
            writer: Some((next_id, writer)),
            next_id: next_id.saturating_add(1),
            read,
            cursor: read,
            handed: VecDeque::new(),
            pending_bytes: found.bytes,
            closed: false,
            unsynced: false,
            sync_lost: false,
        }),
        notify: Notify::new(),
        counters,
    });
    Ok((
        DiskWriter::new(Arc::clone(&shared)),
        DiskReader::new(shared),
        found,
    ))
}

/// The ids of the segment files in `dir`, ascending.
fn segment_ids(dir: &Path) -> io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(id) = name.to_str().and_then(segment::parse_name) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// What a segment file holds.
enum Checked {
    /// Valid records up to this end (the file was cut there), and what they are.
    Records(u64, segment::Scan),
    /// Shorter than the magic: created, then the process died.
    Empty,
    /// Some other file with a segment's name.
    NotSegment,
}

/// Checks the records of the segment at `path` from `from` on and cuts the file after the
/// last valid one.
fn check_segment(path: &Path, from: u64) -> io::Result<Checked> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    if len < FIRST_RECORD {
        return Ok(Checked::Empty);
    }
    if !segment::has_magic(&file, len)? {
        return Ok(Checked::NotSegment);
    }
    let scan = segment::scan(&file, from.min(len), len)?;
    if scan.valid_end < len {
        file.set_len(scan.valid_end)?;
    }
    Ok(Checked::Records(scan.valid_end, scan))
}
