//! The identity of a latency series and its hash, computed once per span and used both to
//! pick a shard and to find the series inside it.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::labels::{KindLabel, StatusClass};

/// Service and operation of the series that collects spans past the series cap.
pub const OVERFLOW: &str = "__overflow__";

/// Labels of one series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    /// `service.name` of the span's resource.
    pub service: Arc<str>,
    /// The span name.
    pub operation: Arc<str>,
    /// The span kind.
    pub kind: KindLabel,
    /// The status class.
    pub class: StatusClass,
}

impl SeriesKey {
    /// Whether this key is `(service, operation, kind, class)`.
    pub(crate) fn matches(
        &self,
        service: &str,
        operation: &str,
        kind: KindLabel,
        class: StatusClass,
    ) -> bool {
        self.kind == kind
            && self.class == class
            && &*self.service == service
            && &*self.operation == operation
    }

    /// Whether this is an overflow series.
    pub fn is_overflow(&self) -> bool {
        &*self.operation == OVERFLOW
    }
}

/// A 64-bit hash of the series labels (8 bytes per multiply, then a final mix), so a lookup
/// hashes its strings once, without allocating.
pub(crate) fn series_hash(
    service: &str,
    operation: &str,
    kind: KindLabel,
    class: StatusClass,
) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = ((kind as u64) << 8) | class as u64;
    for part in [service.as_bytes(), operation.as_bytes()] {
        let mut rest = part;
        while let [a, b, c, d, e, f, g, i, more @ ..] = rest {
            let word = u64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *i]);
            h = (h.rotate_left(5) ^ word).wrapping_mul(K);
            rest = more;
        }
        if !rest.is_empty() {
            h = (h.rotate_left(5) ^ tail(part)).wrapping_mul(K);
        }
        // The length separates ("ab", "c") from ("a", "bc").
        h = (h.rotate_left(5) ^ part.len() as u64).wrapping_mul(K);
    }
    // murmur3's finalizer: every input bit reaches the high and the low bits.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The last `len % 8` bytes of `bytes`, in a word: one overlapping load of the last eight when
/// the text is that long, else two overlapping four-byte loads or the bytes one by one.
fn tail(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let keep = len % 8;
    if keep == 0 {
        return 0;
    }
    match bytes {
        [.., a, b, c, d, e, f, g, i] => {
            u64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *i]) >> (8 * (8 - keep))
        }
        [a, b, c, d, ..] => {
            let low = u64::from(u32::from_le_bytes([*a, *b, *c, *d]));
            let high = match bytes {
                [.., e, f, g, i] => u64::from(u32::from_le_bytes([*e, *f, *g, *i])),
                _ => 0,
            };
            low | (high << (8 * (len - 4)))
        }
        _ => bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    }
}

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Builds [`PassThrough`] hashers.
pub(crate) type PassThroughBuild = BuildHasherDefault<PassThrough>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_separates_fields() {
        let (k, c) = (KindLabel::Server, StatusClass::Ok);
        let a = series_hash("ab", "c", k, c);
        assert_ne!(a, series_hash("a", "bc", k, c));
        assert_ne!(a, series_hash("ab", "c", KindLabel::Client, c));
        assert_ne!(a, series_hash("ab", "c", k, StatusClass::Error));
        assert_eq!(a, series_hash("ab", "c", k, c));
        assert_ne!(
            series_hash("service-aaaaaaaa", "GET /x", k, c),
            series_hash("service-aaaaaaab", "GET /x", k, c)
        );
    }

    #[test]
    fn tails_read_every_byte_once_in_order() {
        let text = b"abcdefghijklmnopq";
        for len in 0..=text.len() {
            let bytes = &text[..len];
            let rest = &bytes[len - len % 8..];
            let expected = rest
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            assert_eq!(tail(bytes), expected, "length {len}");
        }
    }
}
