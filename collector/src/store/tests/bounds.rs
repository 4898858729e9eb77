//! Bounds and eviction of the in-memory store: trace count, spans per trace, bytes, age.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::config::StoreConfig;
use crate::store::{InsertOutcome, RetentionConfig, TraceQuery, TraceStore, approximate_size};
use crate::test_support::stored;

fn store(max_traces: usize, max_spans_per_trace: usize) -> TraceStore {
    TraceStore::new(StoreConfig {
        max_traces,
        max_spans_per_trace,
        ..StoreConfig::default()
    })
}

fn retained(max_bytes: usize, max_age_secs: u64) -> TraceStore {
    TraceStore::with_retention(
        StoreConfig::default(),
        RetentionConfig {
            max_bytes,
            max_age_secs,
        },
    )
}

fn held(store: &TraceStore) -> Vec<u128> {
    let mut ids: Vec<u128> = store
        .find_traces(&TraceQuery::default())
        .iter()
        .map(|t| u128::from_be_bytes(t.trace_id))
        .collect();
    ids.sort_unstable();
    ids
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
            evicted: 0,
            expired: 0,
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
            evicted: 0,
            expired: 0,
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
fn evicts_oldest_traces_to_stay_under_max_bytes() {
    let span_size = approximate_size(&stored(1, 1, None, "svc", "op"));
    // Room for three spans.
    let store = retained(3 * span_size + span_size / 2, 3_600);
    store.insert([
        stored(1, 1, None, "svc", "op"),
        stored(1, 2, None, "svc", "op"),
    ]);
    store.insert([stored(2, 3, None, "svc", "op")]);
    assert_eq!(store.stats().bytes, 3 * span_size);
    // A fourth span evicts the oldest trace (two spans).
    let outcome = store.insert([stored(3, 4, None, "svc", "op")]);
    assert_eq!(outcome.evicted, 1);
    assert_eq!(held(&store), [2, 3]);
    let stats = store.stats();
    assert_eq!((stats.spans, stats.bytes), (2, 2 * span_size));
    assert_eq!(stats.evicted_traces, 1);
}

#[test]
fn a_growing_trace_evicts_others_but_never_itself() {
    let span_size = approximate_size(&stored(1, 1, None, "svc", "op"));
    let store = retained(2 * span_size + span_size / 2, 3_600);
    // Trace 1 arrives first, so it is the oldest; trace 2 grows past the bound.
    store.insert([stored(1, 1, None, "svc", "op")]);
    store.insert([stored(2, 2, None, "svc", "op")]);
    let outcome = store.insert([stored(2, 3, None, "svc", "op")]);
    assert_eq!((outcome.stored, outcome.evicted), (1, 1));
    assert_eq!(held(&store), [2]);
    // Now trace 2 alone fills the store: its next span is dropped, not the trace.
    let outcome = store.insert([stored(2, 4, None, "svc", "op")]);
    assert_eq!((outcome.stored, outcome.dropped), (0, 1));
    assert_eq!(
        store.get_trace(&2u128.to_be_bytes()).unwrap().spans.len(),
        2
    );
    assert_eq!(store.stats().dropped_spans, 1);
}

#[test]
fn a_span_larger_than_the_store_is_dropped() {
    let store = retained(10, 3_600);
    let outcome = store.insert([stored(1, 1, None, "svc", "op")]);
    assert_eq!((outcome.stored, outcome.dropped), (0, 1));
    assert_eq!(store.stats().traces, 0);
}

#[test]
fn byte_bound_holds_under_churn() {
    let span_size = approximate_size(&stored(1, 1, None, "svc", "op"));
    let max_bytes = 10 * span_size;
    let store = retained(max_bytes, 3_600);
    for trace in 1..=200u128 {
        store.insert((1..=3).map(|i| stored(trace, i, None, "svc", "op")));
        let stats = store.stats();
        assert!(stats.bytes <= max_bytes, "{stats:?}");
        assert_eq!(stats.bytes, stats.spans * span_size);
    }
    assert_eq!(store.stats().traces, 3);
}

#[test]
fn traces_expire_by_age_oldest_first() {
    let store = retained(usize::MAX, 60);
    let t0 = Instant::now();
    store.insert_at([stored(1, 1, None, "a", "op")], t0);
    store.insert_at(
        [stored(2, 2, None, "b", "op")],
        t0 + Duration::from_secs(30),
    );
    // A late span does not renew its trace: age counts from the first span.
    store.insert_at(
        [stored(1, 3, Some(1), "a", "op")],
        t0 + Duration::from_secs(50),
    );
    assert_eq!(store.expire(t0 + Duration::from_secs(59)), 0);
    assert_eq!(store.expire(t0 + Duration::from_secs(60)), 1);
    assert_eq!(held(&store), [2]);
    assert_eq!(store.services(), ["b"]);
    // Inserting expires too, before storing.
    let outcome = store.insert_at(
        [stored(3, 4, None, "c", "op")],
        t0 + Duration::from_secs(95),
    );
    assert_eq!((outcome.expired, outcome.stored), (1, 1));
    assert_eq!(held(&store), [3]);
    let stats = store.stats();
    assert_eq!((stats.expired_traces, stats.evicted_traces), (2, 0));
    assert_eq!(
        stats.spans_per_service,
        BTreeMap::from([("c".to_owned(), 1)])
    );
}
