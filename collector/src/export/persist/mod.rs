//! A persistent export queue: one directory per exporter, holding append-only segment files
//! (`segment`) and an acknowledgement cursor (`cursor`).
//!
//! The pipeline drain appends each batch with one `write` (`disk::DiskWriter::append`) before
//! the receiver answers; the exporter task reads records back in order
//! (`disk::DiskReader`), sends them, and acknowledges them once the backend has them
//! (`disk::DiskAcker`), which moves the cursor and deletes segments wholly behind it. At start
//! (`recover`) every record after the cursor is checked and replayed; a torn or corrupt tail
//! is cut off and counted. Delivery is at least once: a crash between a send and its
//! acknowledgement sends that record again.

mod cursor;
mod disk;
mod recover;
pub(crate) mod segment;
#[cfg(test)]
pub(crate) mod test_dir;
#[cfg(test)]
mod tests;

use std::io;
use std::path::PathBuf;

pub use disk::{AppendError, DiskAcker, DiskItem, DiskReader, DiskWriter, Ticket};
pub use recover::{Recovered, open};

/// Default bound of a persistent queue: bytes of records not yet acknowledged (1 GiB).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// Size at which a segment is closed and the next one started (32 MiB).
pub const DEFAULT_SEGMENT_BYTES: u64 = 32 << 20;

/// Where and how one exporter's queue persists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistConfig {
    /// The queue's own directory (created when missing).
    pub dir: PathBuf,
    /// Most bytes of unacknowledged records; a batch that would pass it is dropped and
    /// counted.
    pub max_bytes: u64,
    /// Size at which a segment is closed; see [`DEFAULT_SEGMENT_BYTES`].
    pub segment_bytes: u64,
    /// `fsync` every append (and the cursor): survives power loss, not only a crash, at the
    /// cost of a disk flush per batch.
    pub fsync: bool,
}

impl PersistConfig {
    /// A queue in `dir` with the default bounds, without fsync.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            max_bytes: DEFAULT_MAX_BYTES,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            fsync: false,
        }
    }
}

/// A persistent queue that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("persistent export queue in {}: {source}", dir.display())]
pub struct OpenError {
    /// The queue's directory.
    pub dir: PathBuf,
    /// What failed.
    pub source: io::Error,
}
