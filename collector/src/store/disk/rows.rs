//! The index rows one span adds: by service, by operation, by duration, one per distinct tag,
//! and its count under its operation and kind. Removing a span removes the same rows, built
//! again from the stored span.

use std::collections::BTreeSet;

use super::tables::KeyBuf;
use crate::store::{StoredSpan, value_as_string};

/// Longest tag key or value (bytes) that gets an index row; longer ones are still found by
/// a search, through the other indexes.
pub(super) const MAX_INDEXED_TAG_LEN: usize = 256;

/// The tags derived from kind and status that a search can ask for.
const DERIVED_TAGS: [&str; 4] = [
    "span.kind",
    "error",
    "otel.status_code",
    "otel.status_description",
];

/// The index keys of one stored span.
#[derive(Debug)]
pub(super) struct SpanRows {
    /// In [`super::tables::BY_SERVICE`].
    pub(super) service: Vec<u8>,
    /// In [`super::tables::BY_OPERATION`].
    pub(super) operation: Vec<u8>,
    /// In [`super::tables::BY_DURATION`].
    pub(super) duration: Vec<u8>,
    /// In [`super::tables::BY_TAG`].
    pub(super) tags: Vec<Vec<u8>>,
    /// In [`super::tables::OPERATIONS`].
    pub(super) operation_kind: Vec<u8>,
}

impl SpanRows {
    /// The rows of `span`, stored with sequence number `seq`.
    pub(super) fn of(seq: u64, span: &StoredSpan) -> Self {
        let service = KeyBuf::new().text(&span.service);
        let start = span.start_unix_nano;
        Self {
            operation: service.clone().text(&span.name).num(start).num(seq).done(),
            duration: service.clone().num(span.duration_nanos()).num(seq).done(),
            tags: tags(span)
                .into_iter()
                .map(|(key, value)| {
                    tag_prefix(&span.service, &key, &value)
                        .num(start)
                        .num(seq)
                        .done()
                })
                .collect(),
            operation_kind: operation_kind_prefix(&span.service)
                .text(&span.name)
                .num(u64::from(span.kind as i32 as u32))
                .done(),
            service: service.num(start).num(seq).done(),
        }
    }
}

/// Key prefix of a service's spans of one operation.
pub(super) fn operation_prefix(service: &str, operation: &str) -> KeyBuf {
    KeyBuf::new().text(service).text(operation)
}

/// Key prefix of a service's operations in [`super::tables::OPERATIONS`].
pub(super) fn operation_kind_prefix(service: &str) -> KeyBuf {
    KeyBuf::new().text(service)
}

/// Key prefix of a service's spans carrying one tag.
pub(super) fn tag_prefix(service: &str, key: &str, value: &str) -> KeyBuf {
    KeyBuf::new().text(service).text(key).text(value)
}

/// Whether a tag gets index rows (both parts short enough).
pub(super) fn indexable(key: &str, value: &str) -> bool {
    key.len() <= MAX_INDEXED_TAG_LEN && value.len() <= MAX_INDEXED_TAG_LEN
}

/// Every tag a search can match on this span (see [`StoredSpan::has_tag`]), distinct, in
/// string form, limited to the indexable ones.
fn tags(span: &StoredSpan) -> BTreeSet<(String, String)> {
    let lists = [&span.attributes[..], &span.resource[..]]
        .into_iter()
        .chain(span.events.iter().map(|e| &e.attributes[..]));
    let mut tags: BTreeSet<(String, String)> = lists
        .flatten()
        .map(|kv| (kv.key.clone(), value_as_string(kv.value.as_ref())))
        .collect();
    for key in DERIVED_TAGS {
        if let Some(value) = span.derived_tag(key) {
            tags.insert((key.to_owned(), value.to_owned()));
        }
    }
    tags.retain(|(key, value)| indexable(key, value));
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{kv_str, stored};

    #[test]
    fn one_row_per_distinct_short_tag() {
        let mut span = stored(1, 1, None, "svc", "op");
        span.attributes = vec![
            kv_str("http.method", "GET"),
            kv_str("http.method", "GET"),
            kv_str("body", &"x".repeat(MAX_INDEXED_TAG_LEN + 1)),
        ];
        let rows = SpanRows::of(3, &span);
        // http.method, service.name (resource) and span.kind (internal).
        assert_eq!(rows.tags.len(), 3);
        let prefix = tag_prefix("svc", "http.method", "GET").done();
        assert!(rows.tags.iter().any(|row| row.starts_with(&prefix)));
    }
}
