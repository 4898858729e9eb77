//! The ingest journal: covers spans that wait in memory for a tail-sampling decision when
//! export queues persist.
//!
//! While tail sampling buffers, the drain appends every accepted batch here (segment format
//! of `export::persist`) before the receiver answers. A trace is decided at most
//! `decision_wait` after its shard took its first span in (deadlines only move sooner), and
//! each shard task publishes how far in intake time it has decided and delivered what it
//! kept to the persistent export queues (`tail_tasks.rs`); a segment last appended before the
//! slowest shard's mark has nothing undecided left: it is deleted. At start
//! every record left is replayed through tail sampling (kept traces that had been exported
//! before the crash are exported again: at least once).

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::export::persist::{OpenError, segment};

/// Subdirectory of `data_dir` holding the journal.
pub const JOURNAL_SUBDIR: &str = "journal";
/// A segment is closed after this long, so old ones can be deleted while traffic goes on.
const ROTATE_AFTER: Duration = Duration::from_secs(1);

/// The journal, owned by the pipeline drain.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    fsync: bool,
    /// Closed segments and when each was last appended to, oldest first.
    sealed: VecDeque<(u64, Instant)>,
    /// The segment being appended to: id, file, when opened, last append.
    current: Option<(u64, File, Instant, Instant)>,
    next_id: u64,
}

/// What the last run left: each record's payload, and how many torn or corrupt records
/// were cut off.
#[derive(Debug, Default)]
pub struct Replay {
    /// `ExportTraceServiceRequest` bytes, oldest first.
    pub payloads: Vec<Bytes>,
    /// Torn or corrupt records skipped.
    pub corrupt: u64,
}

impl Journal {
    /// Opens the journal in `dir` and reads what the last run left. Those segments are kept
    /// until their replayed spans are decided like any others.
    pub fn open(dir: &Path, fsync: bool, now: Instant) -> Result<(Journal, Replay), OpenError> {
        let fail = |source: io::Error| OpenError {
            dir: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(fail)?;
        let mut ids = Vec::new();
        for entry in fs::read_dir(dir).map_err(fail)? {
            let name = entry.map_err(fail)?.file_name();
            if let Some(id) = name.to_str().and_then(segment::parse_name) {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        let mut replay = Replay::default();
        for &id in &ids {
            read_segment(&dir.join(segment::file_name(id)), &mut replay).map_err(fail)?;
        }
        let journal = Journal {
            dir: dir.to_owned(),
            fsync,
            sealed: ids.iter().map(|id| (*id, now)).collect(),
            current: None,
            next_id: ids.last().map_or(1, |id| id.saturating_add(1)),
        };
        Ok((journal, replay))
    }

    /// Appends one batch at `now` with one `write`.
    pub fn append(&mut self, spans: u64, payload: &[u8], now: Instant) -> io::Result<()> {
        use std::io::Write;

        if self
            .current
            .as_ref()
            .is_none_or(|(_, _, opened, _)| now.saturating_duration_since(*opened) >= ROTATE_AFTER)
        {
            self.seal();
            let id = self.next_id;
            let mut file = fs::OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(self.dir.join(segment::file_name(id)))?;
            file.write_all(segment::MAGIC)?;
            if self.fsync {
                file.sync_all()?;
                File::open(&self.dir)?.sync_all()?;
            }
            self.next_id += 1;
            self.current = Some((id, file, now, now));
        }
        let Some((_, file, _, last)) = &mut self.current else {
            return Err(io::Error::other("no journal segment"));
        };
        let written = file
            .write_all(&segment::encode(spans, payload))
            .and_then(|()| if self.fsync { file.sync_data() } else { Ok(()) });
        *last = now;
        if written.is_err() {
            // Never append after a partial record: the next batch starts a new segment.
            self.seal();
        }
        written
    }

    /// Deletes the segments last appended at or before `decided`: every span journaled by
    /// then has been decided and, if kept, delivered to the persistent queues.
    pub fn truncate_through(&mut self, decided: Instant) {
        let done = |last: Instant| last <= decided;
        if self
            .current
            .as_ref()
            .is_some_and(|(_, _, _, last)| done(*last))
        {
            self.seal();
        }
        while let Some((id, _)) = self.sealed.front().copied().filter(|(_, last)| done(*last)) {
            self.sealed.pop_front();
            self.remove(id);
        }
    }

    /// Deletes everything: every buffered trace has been decided (shutdown).
    pub fn clear(&mut self) {
        self.seal();
        while let Some((id, _)) = self.sealed.pop_front() {
            self.remove(id);
        }
    }

    fn seal(&mut self) {
        if let Some((id, _, _, last)) = self.current.take() {
            self.sealed.push_back((id, last));
        }
    }

    fn remove(&self, id: u64) {
        if let Err(error) = fs::remove_file(self.dir.join(segment::file_name(id))) {
            tracing::warn!(dir = %self.dir.display(), id, %error, "ingest journal: cannot delete segment");
        }
    }
}

/// Reads every valid record of one segment into `replay`.
fn read_segment(path: &Path, replay: &mut Replay) -> io::Result<()> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len < segment::FIRST_RECORD {
        return Ok(());
    }
    if !segment::has_magic(&file, len)? {
        replay.corrupt += 1;
        return Ok(());
    }
    let mut offset = segment::FIRST_RECORD;
    loop {
        match segment::read_at(&file, offset, len)? {
            segment::Read::Record(record) => {
                offset += record.len;
                replay.payloads.push(record.payload);
            }
            segment::Read::End => return Ok(()),
            segment::Read::Corrupt(corruption) => {
                tracing::warn!(path = %path.display(), offset, %corruption, "ingest journal: skipped a damaged record and what follows it");
                replay.corrupt += 1;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::persist::test_dir::TestDir;

    fn files(dir: &TestDir) -> usize {
        fs::read_dir(dir.path()).unwrap().count()
    }

    #[test]
    fn records_are_replayed_until_decided_through_their_last_append() {
        let dir = TestDir::new("journal");
        let t0 = Instant::now();
        let (mut journal, replay) = Journal::open(dir.path(), false, t0).unwrap();
        assert!(replay.payloads.is_empty());
        journal.append(1, b"a", t0).unwrap();
        journal
            .append(1, b"b", t0 + Duration::from_secs(2))
            .unwrap();
        // Segments roll every second: "b" is in a second one. Decided through "a" only:
        // the first goes, the second stays.
        journal.truncate_through(t0 + Duration::from_secs(1));
        drop(journal);

        // A crash: what was left is replayed, and kept until decided again.
        let t1 = t0 + Duration::from_secs(6);
        let (mut journal, replay) = Journal::open(dir.path(), false, t1).unwrap();
        assert_eq!(replay.payloads, [&b"b"[..]]);
        journal.truncate_through(t1 - Duration::from_secs(1));
        assert_eq!(files(&dir), 1, "kept until decided again after the restart");
        journal.truncate_through(t1);
        assert_eq!(files(&dir), 0);
        let (_, replay) = Journal::open(dir.path(), false, t1).unwrap();
        assert!(replay.payloads.is_empty());
    }

    #[test]
    fn a_torn_record_is_skipped_and_counted() {
        let dir = TestDir::new("journal-torn");
        let now = Instant::now();
        let (mut journal, _) = Journal::open(dir.path(), false, now).unwrap();
        journal.append(1, b"whole", now).unwrap();
        let Some((id, file, _, _)) = &journal.current else {
            panic!("no segment")
        };
        let torn = segment::encode(1, b"torn");
        let _ = file.set_len(file.metadata().unwrap().len() + torn.len() as u64 - 2);
        let _ = id;
        drop(journal);
        let (_, replay) = Journal::open(dir.path(), false, now).unwrap();
        assert_eq!(replay.payloads, [&b"whole"[..]]);
        assert_eq!(replay.corrupt, 1);
    }
}
