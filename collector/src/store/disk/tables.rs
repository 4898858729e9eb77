//! The redb tables of the disk store and how their keys are built.
//!
//! Composite keys are byte strings: text as a 4-byte big-endian length then the bytes (so one
//! name is never a prefix of another's key), numbers as 8 big-endian bytes (so byte order is
//! numeric order). Every index key ends with the span's start time or duration and its
//! store-wide sequence number, so a prefix plus a value window is one B-tree range.

use redb::TableDefinition;

/// `trace id ‖ chunk seq` -> the spans of one write of that trace ([`super::codec`]).
pub(super) const CHUNKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("chunks");
/// `trace id` -> [`TraceMeta`].
pub(super) const TRACES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("traces");
/// Trace seq (arrival order) -> trace id: oldest first, for eviction and age expiry.
pub(super) const ARRIVALS: TableDefinition<u64, &[u8]> = TableDefinition::new("arrivals");
/// `service ‖ start ‖ span seq` -> trace id.
pub(super) const BY_SERVICE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("by_service");
/// `service ‖ operation ‖ start ‖ span seq` -> trace id.
pub(super) const BY_OPERATION: TableDefinition<&[u8], &[u8]> = TableDefinition::new("by_operation");
/// `service ‖ duration ‖ span seq` -> `trace id ‖ start`.
pub(super) const BY_DURATION: TableDefinition<&[u8], &[u8]> = TableDefinition::new("by_duration");
/// `service ‖ tag key ‖ tag value ‖ start ‖ span seq` -> trace id.
pub(super) const BY_TAG: TableDefinition<&[u8], &[u8]> = TableDefinition::new("by_tag");
/// Service name (UTF-8, so keys sort by name) -> spans held.
pub(super) const SERVICES: TableDefinition<&[u8], u64> = TableDefinition::new("services");
/// `service ‖ operation ‖ kind` -> spans held.
pub(super) const OPERATIONS: TableDefinition<&[u8], u64> = TableDefinition::new("operations");
/// Store-wide counters and sequence numbers, by name (`COUNTER_*`).
pub(super) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

/// Spans held.
pub(super) const COUNTER_SPANS: &str = "spans";
/// Approximate bytes held.
pub(super) const COUNTER_BYTES: &str = "bytes";
/// Next trace seq.
pub(super) const COUNTER_TRACE_SEQ: &str = "next_trace_seq";
/// Next span seq.
pub(super) const COUNTER_SPAN_SEQ: &str = "next_span_seq";
/// Next chunk seq.
pub(super) const COUNTER_CHUNK_SEQ: &str = "next_chunk_seq";

/// A composite key under construction.
#[derive(Debug, Default, Clone)]
pub(super) struct KeyBuf(Vec<u8>);

impl KeyBuf {
    /// An empty key.
    pub(super) fn new() -> Self {
        Self(Vec::with_capacity(64))
    }

    /// Appends text, length first.
    pub(super) fn text(mut self, text: &str) -> Self {
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    /// Appends raw bytes of a fixed length (ids).
    pub(super) fn bytes(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// Appends a number, big-endian.
    pub(super) fn num(mut self, value: u64) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// The key.
    pub(super) fn done(self) -> Vec<u8> {
        self.0
    }

    /// The keys bounding `prefix ‖ n` for every number `n`.
    pub(super) fn suffix_range(self) -> (Vec<u8>, Vec<u8>) {
        (self.clone().num(0).done(), self.num(u64::MAX).done())
    }

    /// The keys bounding `prefix ‖ value ‖ seq` for every value in `[min, max]`.
    pub(super) fn window(self, min: u64, max: u64) -> (Vec<u8>, Vec<u8>) {
        let low = self.clone().num(min).num(0).done();
        let high = self.num(max).num(u64::MAX).done();
        (low, high)
    }
}

/// The number a key ends with (an index key's span seq); zero for a short key.
pub(super) fn last_number(key: &[u8]) -> u64 {
    key.len()
        .checked_sub(8)
        .and_then(|from| key.get(from..))
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map_or(0, u64::from_be_bytes)
}

/// A trace id from a stored value (its first 16 bytes).
pub(super) fn trace_id(bytes: &[u8]) -> Option<[u8; 16]> {
    bytes.get(..16).and_then(|b| <[u8; 16]>::try_from(b).ok())
}

/// What the store keeps about one trace besides its spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TraceMeta {
    /// Arrival rank: key in [`ARRIVALS`], breaks ties between equal start times.
    pub(super) seq: u64,
    /// Wall-clock arrival of the first span, nanoseconds since the Unix epoch.
    pub(super) arrived: u64,
    /// Earliest span start, nanoseconds since the Unix epoch.
    pub(super) start: u64,
    /// Spans held.
    pub(super) spans: u64,
    /// Approximate bytes held.
    pub(super) bytes: u64,
}

impl TraceMeta {
    const LEN: usize = 40;

    /// Fixed-size encoding.
    pub(super) fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0; Self::LEN];
        for (slot, value) in out.chunks_exact_mut(8).zip([
            self.seq,
            self.arrived,
            self.start,
            self.spans,
            self.bytes,
        ]) {
            slot.copy_from_slice(&value.to_be_bytes());
        }
        out
    }

    /// Reads [`TraceMeta::encode`]'s output; `None` when it is not that.
    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::LEN {
            return None;
        }
        let mut values = bytes
            .chunks_exact(8)
            .filter_map(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes);
        Some(Self {
            seq: values.next()?,
            arrived: values.next()?,
            start: values.next()?,
            spans: values.next()?,
            bytes: values.next()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_prefix_then_value() {
        let a = KeyBuf::new().text("svc").num(5).num(1).done();
        let b = KeyBuf::new().text("svc").num(6).num(0).done();
        let other = KeyBuf::new().text("svc2").num(0).num(0).done();
        let (low, high) = KeyBuf::new().text("svc").window(5, 6);
        assert!(low <= a && a < b && b <= high);
        assert!(!(low..=high).contains(&other));
        assert_eq!(last_number(&a), 1);
        let meta = TraceMeta {
            seq: 1,
            arrived: 2,
            start: 3,
            spans: 4,
            bytes: 5,
        };
        assert_eq!(TraceMeta::decode(&meta.encode()), Some(meta));
        assert_eq!(TraceMeta::decode(&[0; 3]), None);
    }
}
