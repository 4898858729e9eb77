//! Zipkin shared spans: a client span and the server span it called carry the same id
//! (ingest keeps it, see `docs/DECISIONS.md`). As jaeger-query's `SpanIDUniquifier`
//! (`cmd/query/app/querysvc/adjuster/spaniduniquifier.go`) does, the server span gets the
//! first unused id counting up from 1, its parent becomes the shared id (the client span),
//! and spans that named the shared id as parent now name the server span.

use std::collections::{HashMap, HashSet};

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::ShownSpan;

/// Jaeger's warning when no id is left, which needs 2^64 spans.
const WARNING_TOO_MANY_SPANS: &str = "cannot assign unique span ID, too many spans in the trace";

/// Gives every server span that shares its id with a client span an id of its own.
pub(super) fn uniquify(spans: &mut [ShownSpan<'_>]) {
    let used: HashSet<u64> = spans
        .iter()
        .map(|s| u64::from_be_bytes(s.span_id))
        .collect();
    let client_ids: HashSet<[u8; 8]> = spans
        .iter()
        .filter(|s| s.span.kind == SpanKind::Client)
        .map(|s| s.span_id)
        .collect();
    let mut last_assigned = 0u64;
    let mut renamed: HashMap<[u8; 8], [u8; 8]> = HashMap::new();
    for shown in spans.iter_mut() {
        if shown.span.kind != SpanKind::Server || !client_ids.contains(&shown.span_id) {
            continue;
        }
        let Some(new_id) = (last_assigned + 1..u64::MAX).find(|id| !used.contains(id)) else {
            shown.warnings.push(WARNING_TOO_MANY_SPANS.to_owned());
            continue;
        };
        last_assigned = new_id;
        let new_id = new_id.to_be_bytes();
        renamed.insert(shown.span_id, new_id);
        shown.parent_span_id = Some(shown.span_id);
        shown.span_id = new_id;
    }
    for shown in spans.iter_mut() {
        if let Some(new_parent) = shown.parent_span_id.and_then(|p| renamed.get(&p))
            && shown.span_id != *new_parent
        {
            shown.parent_span_id = Some(*new_parent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::stored;

    #[test]
    fn shared_server_span_gets_its_own_id() {
        // Zipkin: client 0x0a (parent 0x01) and server 0x0a (same parent), server's child 0x0b.
        let root = stored(1, 0x01, None, "front", "GET /");
        let client = crate::store::StoredSpan {
            kind: SpanKind::Client,
            ..stored(1, 0x0a, Some(0x01), "front", "call")
        };
        let server = crate::store::StoredSpan {
            kind: SpanKind::Server,
            ..stored(1, 0x0a, Some(0x01), "back", "handle")
        };
        let child = stored(1, 0x0b, Some(0x0a), "back", "query");
        let mut spans: Vec<ShownSpan<'_>> =
            [&root, &client, &server, &child].map(ShownSpan::new).into();
        uniquify(&mut spans);
        let ids: Vec<(u64, Option<u64>)> = spans
            .iter()
            .map(|s| {
                (
                    u64::from_be_bytes(s.span_id),
                    s.parent_span_id.map(u64::from_be_bytes),
                )
            })
            .collect();
        // Id 1 is taken by the root, so the server span becomes 2.
        assert_eq!(
            ids,
            [
                (0x01, None),
                (0x0a, Some(0x01)),
                (0x02, Some(0x0a)),
                (0x0b, Some(0x02))
            ]
        );
        assert!(spans.iter().all(|s| s.warnings.is_empty()));
    }

    #[test]
    fn unshared_ids_are_untouched() {
        let a = crate::store::StoredSpan {
            kind: SpanKind::Server,
            ..stored(1, 5, None, "a", "x")
        };
        let b = stored(1, 5, None, "b", "y");
        let mut spans: Vec<ShownSpan<'_>> = [&a, &b].map(ShownSpan::new).into();
        uniquify(&mut spans);
        assert_eq!(spans[0].span_id, 5u64.to_be_bytes());
        assert_eq!(spans[1].span_id, 5u64.to_be_bytes());
    }
}
