//! The acknowledgement cursor of a persistent queue: where the first record the backend has
//! not yet acknowledged starts. Everything before it is done and may be deleted.
//!
//! Stored as `segment: u64 LE | offset: u64 LE | crc32: u32 LE` in `cursor`, replaced whole
//! (written to `cursor.tmp`, then renamed). A lost or stale cursor only moves replay back,
//! which sends records twice (at-least-once), never loses one.

use std::fs;
use std::io;
use std::path::Path;

/// The cursor's file name inside the queue directory.
pub const FILE: &str = "cursor";
/// The temporary file the next cursor is written to before the rename.
const TMP: &str = "cursor.tmp";
/// Bytes of a cursor file.
const LEN: usize = 20;

/// A place in the queue: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// The segment id.
    pub segment: u64,
    /// Byte offset in the segment.
    pub offset: u64,
}

/// Reads the cursor in `dir`; `None` when absent or unreadable (corrupt, torn).
pub fn load(dir: &Path) -> io::Result<Option<Pos>> {
    let bytes = match fs::read(dir.join(FILE)) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(decode(&bytes))
}

/// Replaces the cursor in `dir` with `pos`; `sync` makes it survive a power cut.
pub fn store(dir: &Path, pos: Pos, sync: bool) -> io::Result<()> {
    let tmp = dir.join(TMP);
    fs::write(&tmp, encode(pos))?;
    if sync {
        fs::File::open(&tmp)?.sync_all()?;
    }
    fs::rename(&tmp, dir.join(FILE))
}

fn encode(pos: Pos) -> [u8; LEN] {
    let mut out = [0u8; LEN];
    out[..8].copy_from_slice(&pos.segment.to_le_bytes());
    out[8..16].copy_from_slice(&pos.offset.to_le_bytes());
    let crc = crc32fast::hash(&out[..16]);
    out[16..].copy_from_slice(&crc.to_le_bytes());
    out
}

fn decode(bytes: &[u8]) -> Option<Pos> {
    let bytes: &[u8; LEN] = bytes.try_into().ok()?;
    let (body, crc) = bytes.split_at(16);
    if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    let (segment, offset) = body.split_at(8);
    Some(Pos {
        segment: u64::from_le_bytes(segment.try_into().ok()?),
        offset: u64::from_le_bytes(offset.try_into().ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::persist::test_dir::TestDir;

    #[test]
    fn stores_and_loads() {
        let dir = TestDir::new("cursor");
        assert_eq!(load(dir.path()).unwrap(), None);
        let pos = Pos {
            segment: 3,
            offset: 1 << 40,
        };
        store(dir.path(), pos, false).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(pos));
        store(
            dir.path(),
            Pos {
                segment: 4,
                offset: 8,
            },
            true,
        )
        .unwrap();
        assert_eq!(load(dir.path()).unwrap().map(|p| p.segment), Some(4));
    }

    #[test]
    fn damaged_cursor_reads_as_absent() {
        let mut bytes = encode(Pos {
            segment: 1,
            offset: 8,
        });
        assert!(decode(&bytes).is_some());
        assert_eq!(decode(&bytes[..19]), None);
        bytes[3] ^= 0x10;
        assert_eq!(decode(&bytes), None);
    }
}
