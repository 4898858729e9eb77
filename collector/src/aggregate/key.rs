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
        let mut chunks = part.chunks_exact(8);
        for chunk in &mut chunks {
            let word = chunk.try_into().map_or(0, u64::from_le_bytes);
            h = (h.rotate_left(5) ^ word).wrapping_mul(K);
        }
        // The last 0..=7 bytes, little-endian, without a copy through memory.
        let tail = chunks
            .remainder()
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        // The length separates ("ab", "c") from ("a", "bc").
        h = (h.rotate_left(5) ^ tail ^ ((part.len() as u64) << 56)).wrapping_mul(K);
    }
    // murmur3's finalizer: every input bit reaches the high and the low bits.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
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
}
