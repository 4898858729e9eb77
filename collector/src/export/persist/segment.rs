//! The on-disk format of a persistent export queue: append-only segment files of framed
//! records.
//!
//! A segment starts with the 8-byte [`MAGIC`]; then records follow back to back:
//!
//! ```text
//! len: u32 LE | crc32(body): u32 LE | body = spans: u32 LE, payload: protobuf
//! ```
//!
//! The payload is an `ExportTraceServiceRequest` (field 1 repeated), so the payloads of
//! several records concatenated are one valid request. A record is appended with one
//! `write`; after `kill -9` the page cache still holds it, after a power cut only an fsynced
//! one is sure. A torn or corrupt record is detected by its length or checksum; nothing after
//! it in that segment can be framed again, so the reader stops there.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use bytes::Bytes;

/// First bytes of every segment: format name and version.
pub const MAGIC: &[u8; 8] = b"MTQSEG01";
/// Offset of the first record in a segment.
pub const FIRST_RECORD: u64 = MAGIC.len() as u64;
/// Bytes of a record's frame before its body (length and checksum).
pub const FRAME_LEN: u64 = 8;
/// Largest body a record may have; a larger length is read as corruption.
pub const MAX_BODY: u32 = 256 * 1024 * 1024;
/// Bytes of the body's span count.
const SPANS_LEN: usize = 4;

/// The file name of segment `id`: zero-padded so names sort like ids.
pub fn file_name(id: u64) -> String {
    format!("{id:020}.seg")
}

/// The id of a segment file name, `None` for any other file.
pub fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// One record, framed, ready for a single `write`.
pub fn encode(spans: u64, payload: &[u8]) -> Vec<u8> {
    let spans = u32::try_from(spans).unwrap_or(u32::MAX);
    let body_len = SPANS_LEN + payload.len();
    let mut out = Vec::with_capacity(FRAME_LEN as usize + body_len);
    out.extend_from_slice(&u32::try_from(body_len).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&spans.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[FRAME_LEN as usize..]);
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    out
}

/// A record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Spans in the payload.
    pub spans: u64,
    /// The protobuf `ExportTraceServiceRequest` bytes.
    pub payload: Bytes,
    /// Bytes the record takes in the segment, frame included.
    pub len: u64,
}

/// Why the bytes at an offset are not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Corruption {
    /// The frame or body runs past the end of the data (a torn write).
    #[error("record cut short (torn write)")]
    Truncated,
    /// The length is impossible.
    #[error("record length {0} out of range")]
    Length(u32),
    /// The body does not match its checksum.
    #[error("record checksum mismatch")]
    Checksum,
}

/// What is at an offset of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A whole, valid record.
    Record(Record),
    /// The end of the data.
    End,
    /// Not a record: nothing from here to the end of the segment can be read.
    Corrupt(Corruption),
}

/// Reads the record at `offset` of `file`, whose data ends at `end`.
pub fn read_at(file: &File, offset: u64, end: u64) -> io::Result<Read> {
    if offset >= end {
        return Ok(Read::End);
    }
    if end - offset < FRAME_LEN {
        return Ok(Read::Corrupt(Corruption::Truncated));
    }
    let mut frame = [0u8; FRAME_LEN as usize];
    file.read_exact_at(&mut frame, offset)?;
    let [l0, l1, l2, l3, c0, c1, c2, c3] = frame;
    let body_len = u32::from_le_bytes([l0, l1, l2, l3]);
    let crc = u32::from_le_bytes([c0, c1, c2, c3]);
    if !(SPANS_LEN as u32..=MAX_BODY).contains(&body_len) {
        return Ok(Read::Corrupt(Corruption::Length(body_len)));
    }
    let len = FRAME_LEN + u64::from(body_len);
    if end - offset < len {
        return Ok(Read::Corrupt(Corruption::Truncated));
    }
    let mut body = vec![0u8; body_len as usize];
    file.read_exact_at(&mut body, offset + FRAME_LEN)?;
    if crc32fast::hash(&body) != crc {
        return Ok(Read::Corrupt(Corruption::Checksum));
    }
    let mut spans = [0u8; SPANS_LEN];
    spans.copy_from_slice(&body[..SPANS_LEN]);
    let payload = Bytes::from(body).slice(SPANS_LEN..);
    Ok(Read::Record(Record {
        spans: u64::from(u32::from_le_bytes(spans)),
        payload,
        len,
    }))
}

/// What a segment holds from some offset on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scan {
    /// Valid records.
    pub records: u64,
    /// Spans in them.
    pub spans: u64,
    /// Bytes they take.
    pub bytes: u64,
    /// Where the valid data ends: the file should be cut here.
    pub valid_end: u64,
    /// The corruption that stopped the scan, if any.
    pub corrupt: Option<Corruption>,
}

/// Reads every record from `start` to `end`, stopping at the first corrupt one.
pub fn scan(file: &File, start: u64, end: u64) -> io::Result<Scan> {
    let mut scan = Scan {
        valid_end: start,
        ..Scan::default()
    };
    loop {
        match read_at(file, scan.valid_end, end)? {
            Read::Record(record) => {
                scan.records += 1;
                scan.spans += record.spans;
                scan.bytes += record.len;
                scan.valid_end += record.len;
            }
            Read::End => return Ok(scan),
            Read::Corrupt(corruption) => {
                scan.corrupt = Some(corruption);
                return Ok(scan);
            }
        }
    }
}

/// Whether `file` (of `len` bytes) starts with [`MAGIC`].
pub fn has_magic(file: &File, len: u64) -> io::Result<bool> {
    if len < FIRST_RECORD {
        return Ok(false);
    }
    let mut magic = [0u8; MAGIC.len()];
    file.read_exact_at(&mut magic, 0)?;
    Ok(&magic == MAGIC)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::export::persist::test_dir::TestDir;

    fn segment(records: &[Vec<u8>]) -> (TestDir, File, u64) {
        let dir = TestDir::new("segment");
        let path = dir.path().join(file_name(1));
        let mut file = File::create(&path).unwrap();
        file.write_all(MAGIC).unwrap();
        for record in records {
            file.write_all(record).unwrap();
        }
        let len = file.metadata().unwrap().len();
        (dir, File::open(&path).unwrap(), len)
    }

    #[test]
    fn names_sort_like_ids_and_parse_back() {
        assert_eq!(file_name(7), "00000000000000000007.seg");
        assert!(file_name(9) < file_name(10));
        assert_eq!(parse_name(&file_name(u64::MAX)), Some(u64::MAX));
        for other in [
            "cursor",
            "7.seg",
            "0000000000000000000x.seg",
            "00000000000000000007",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }

    #[test]
    fn records_round_trip() {
        let (_dir, file, end) = segment(&[encode(3, b"abc"), encode(1, b"")]);
        let first = read_at(&file, FIRST_RECORD, end).unwrap();
        let Read::Record(first) = first else {
            panic!("{first:?}")
        };
        assert_eq!(
            (first.spans, &first.payload[..], first.len),
            (3, &b"abc"[..], 15)
        );
        let second = read_at(&file, FIRST_RECORD + first.len, end).unwrap();
        assert!(matches!(
            second,
            Read::Record(Record {
                spans: 1,
                len: 12,
                ..
            })
        ));
        assert_eq!(read_at(&file, end, end).unwrap(), Read::End);
    }

    #[rustfmt::skip]
    #[test]
    fn damage_is_detected_not_returned() {
        let good = encode(2, b"payload");
        let mut flipped = good.clone();
        flipped[14] ^= 1;
        let mut huge = good.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let cases: &[(&str, Vec<u8>, Corruption)] = &[
            ("torn frame", good[..5].to_vec(),              Corruption::Truncated),
            ("torn body",  good[..good.len() - 1].to_vec(), Corruption::Truncated),
            ("bit flip",   flipped,                         Corruption::Checksum),
            ("length",     huge,                            Corruption::Length(u32::MAX)),
        ];
        for (name, bad, want) in cases {
            let (_dir, file, end) = segment(&[good.clone(), bad.clone()]);
            let scan = scan(&file, FIRST_RECORD, end).unwrap();
            assert_eq!(scan.records, 1, "{name}");
            assert_eq!(scan.spans, 2, "{name}");
            assert_eq!(scan.valid_end, FIRST_RECORD + good.len() as u64, "{name}");
            assert_eq!(scan.corrupt, Some(*want), "{name}");
        }
    }

    #[test]
    fn magic_is_checked() {
        let (_dir, file, end) = segment(&[]);
        assert!(has_magic(&file, end).unwrap());
        assert!(!has_magic(&file, 3).unwrap());
    }
}
