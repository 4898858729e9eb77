//! Bounds, eviction and queries of the in-memory store.

use super::*;
use crate::config::StoreConfig;
use crate::test_support::stored;

fn store(max_traces: usize, max_spans_per_trace: usize) -> TraceStore {
    TraceStore::new(StoreConfig {
        max_traces,
        max_spans_per_trace,
    })
}

#[test]
fn groups_spans_by_trace() {
    let store = store(10, 10);
    let outcome = store.insert([
        stored(1, 1, None, "frontend", "GET /"),
        stored(1, 2, Some(1), "backend", "query"),
        stored(2, 3, None, "frontend", "GET /health"),
    ]);
    assert_eq!(
        outcome,
        InsertOutcome {
            stored: 3,
            dropped: 0,
            evicted: 0
        }
    );
    let trace = store.get_trace(&1u128.to_be_bytes()).unwrap();
    assert_eq!(trace.spans.len(), 2);
    assert_eq!(trace.spans[1].parent_span_id, Some(1u64.to_be_bytes()));
    assert!(store.get_trace(&3u128.to_be_bytes()).is_none());
    assert_eq!(store.services(), ["backend", "frontend"]);
    assert_eq!(store.operations("frontend"), ["GET /", "GET /health"]);
    assert!(store.operations("nobody").is_empty());
}

#[test]
fn evicts_oldest_trace_first() {
    let store = store(2, 10);
    store.insert([stored(1, 1, None, "a", "op-a")]);
    store.insert([stored(2, 2, None, "b", "op-b")]);
    // A span of an existing trace does not evict anything.
    store.insert([stored(1, 3, Some(1), "a", "op-a2")]);
    let outcome = store.insert([stored(3, 4, None, "c", "op-c")]);
    assert_eq!(outcome.evicted, 1);

    assert!(store.get_trace(&1u128.to_be_bytes()).is_none());
    assert!(store.get_trace(&2u128.to_be_bytes()).is_some());
    assert!(store.get_trace(&3u128.to_be_bytes()).is_some());
    // The index forgets what was evicted.
    assert_eq!(store.services(), ["b", "c"]);
    assert!(store.operations("a").is_empty());
    let stats = store.stats();
    assert_eq!(stats.traces, 2);
    assert_eq!(stats.spans, 2);
    assert_eq!(stats.evicted_traces, 1);
    assert_eq!(stats.dropped_spans, 0);
    assert_eq!(
        stats.spans_per_service,
        BTreeMap::from([("b".to_owned(), 1), ("c".to_owned(), 1)])
    );
}

#[test]
fn drops_spans_beyond_the_per_trace_bound() {
    let store = store(10, 2);
    let outcome = store.insert((1..=5).map(|i| stored(7, i, None, "svc", "op")));
    assert_eq!(
        outcome,
        InsertOutcome {
            stored: 2,
            dropped: 3,
            evicted: 0
        }
    );
    let stats = store.stats();
    assert_eq!(stats.spans, 2);
    assert_eq!(stats.dropped_spans, 3);
    let ids: Vec<_> = store
        .get_trace(&7u128.to_be_bytes())
        .unwrap()
        .spans
        .iter()
        .map(|s| s.span_id)
        .collect();
    assert_eq!(ids, [1u64.to_be_bytes(), 2u64.to_be_bytes()]);
}

#[test]
fn never_exceeds_bounds_under_churn() {
    let store = store(3, 4);
    for trace in 1..=50u128 {
        store.insert((1..=6).map(|i| stored(trace, i, None, "svc", "op")));
        let stats = store.stats();
        assert!(stats.traces <= 3 && stats.spans <= 12, "{stats:?}");
    }
    let stats = store.stats();
    assert_eq!(stats.evicted_traces, 47);
    assert_eq!(stats.dropped_spans, 50 * 2);
    assert_eq!(stats.spans_per_service["svc"], 12);
}

#[test]
fn find_traces_filters_and_sorts_newest_first() {
    let store = store(10, 10);
    store.insert([
        stored(1, 10, None, "frontend", "GET /"),
        stored(2, 30, None, "frontend", "GET /"),
        stored(2, 31, Some(30), "backend", "query"),
        stored(3, 20, None, "frontend", "POST /"),
    ]);
    let ids = |query: TraceQuery| -> Vec<u128> {
        store
            .find_traces(&query)
            .iter()
            .map(|t| u128::from_be_bytes(t.trace_id))
            .collect()
    };
    assert_eq!(ids(TraceQuery::default()), [2, 3, 1]);
    let frontend = Some("frontend".to_owned());
    assert_eq!(
        ids(TraceQuery {
            service: frontend.clone(),
            limit: 2,
            ..Default::default()
        }),
        [2, 3]
    );
    assert_eq!(
        ids(TraceQuery {
            service: frontend,
            operation: Some("GET /".into()),
            limit: 0
        }),
        [2, 1]
    );
    assert_eq!(
        ids(TraceQuery {
            service: Some("backend".into()),
            ..Default::default()
        }),
        [2]
    );
    // The operation must belong to the service asked for.
    assert!(
        ids(TraceQuery {
            service: Some("backend".into()),
            operation: Some("GET /".into()),
            limit: 0
        })
        .is_empty()
    );
}
