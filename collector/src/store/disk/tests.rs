//! Disk store tests: put and get, every search index (checked against the memory store's
//! answers), eviction by count, bytes and age, reopening, and the writer's bounded queue.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use redb::{ReadableDatabase, ReadableTableMetadata};

use super::{DiskError, DiskStore, tables, writer};
use crate::config::StoreConfig;
use crate::store::inner::Limits;
use crate::store::{
    InsertOutcome, SpanStatus, StoredSpan, TraceQuery, TraceStore, approximate_size,
};
use crate::test_support::{kv, kv_str, stored};

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "meshtrace-disk-store-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn limits(max_traces: usize, max_bytes: usize, max_age_secs: u64) -> Limits {
    Limits {
        max_traces,
        max_spans_per_trace: 1000,
        max_bytes,
        max_age: Duration::from_secs(max_age_secs),
    }
}

fn roomy() -> Limits {
    limits(10_000, 1 << 30, 3600)
}

fn open(dir: &Path, limits: Limits) -> DiskStore {
    DiskStore::open(dir, limits).unwrap()
}

/// Writes spans synchronously as the writer thread would, arrived `ago` before now.
fn put(store: &DiskStore, spans: Vec<StoredSpan>, ago: Duration) -> InsertOutcome {
    let arrived = writer::now() - u64::try_from(ago.as_nanos()).unwrap();
    let outcome = writer::write(&store.db, &store.limits, vec![(spans, arrived)]).unwrap();
    store.counters.count(&outcome);
    outcome
}

fn ids(traces: &[crate::store::Trace]) -> Vec<u128> {
    traces
        .iter()
        .map(|t| u128::from_be_bytes(t.trace_id))
        .collect()
}

fn held(store: &DiskStore) -> Vec<u128> {
    let mut held = ids(&store.find_traces(&TraceQuery::default()));
    held.sort_unstable();
    held
}

/// Rows of an index table, to check eviction leaves none behind.
fn rows(store: &DiskStore, table: redb::TableDefinition<&[u8], &[u8]>) -> u64 {
    let txn = store.db.begin_read().unwrap();
    txn.open_table(table).unwrap().len().unwrap()
}

/// A varied data set: 3 services, several operations, kinds, durations, tags and errors.
fn dataset() -> Vec<StoredSpan> {
    let services = ["frontend", "cart", "db"];
    let operations = ["GET /", "POST /cart", "query"];
    let mut spans = Vec::new();
    let mut state: u64 = 7;
    let mut next = move |modulo: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % modulo
    };
    for trace in 1..=40u128 {
        let span_count = 1 + next(4);
        for index in 0..span_count {
            let service = services[usize::try_from(next(3)).unwrap()];
            let operation = operations[usize::try_from(next(3)).unwrap()];
            let id = u64::try_from(trace).unwrap() * 10 + index;
            let mut span = stored(
                trace,
                id,
                (index > 0).then_some(id - index),
                service,
                operation,
            );
            span.start_unix_nano += next(1_000) * 1_000_000;
            span.end_unix_nano = span.start_unix_nano + next(50) * 1_000_000;
            span.kind = if next(2) == 0 {
                SpanKind::Server
            } else {
                SpanKind::Client
            };
            span.attributes
                .push(kv_str("customer", &format!("c{}", next(5))));
            span.attributes.push(kv(
                "http.status_code",
                Value::IntValue(if next(6) == 0 { 500 } else { 200 }),
            ));
            if next(8) == 0 {
                span.status = SpanStatus {
                    code: StatusCode::Error,
                    message: "boom".into(),
                };
            }
            if trace % 7 == 0 {
                span.attributes.push(kv_str("blob", &"z".repeat(300)));
            }
            spans.push(span);
        }
    }
    spans
}

#[test]
fn searches_answer_as_the_memory_store_does() {
    let dir = TempDir::new("search");
    let disk = open(&dir.0, roomy());
    let memory = TraceStore::new(StoreConfig::default());
    for batch in dataset().chunks(7) {
        put(&disk, batch.to_vec(), Duration::ZERO);
        memory.insert(batch.to_vec());
    }
    let base = stored(1, 0, None, "x", "x").start_unix_nano;
    let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let service = |s: &str| Some(s.to_owned());
    let ms = |n: u64| Some(n * 1_000_000);
    #[rustfmt::skip]
    let queries = [
        TraceQuery { service: service("frontend"), ..TraceQuery::default() },
        TraceQuery { service: service("frontend"), limit: 3, ..TraceQuery::default() },
        TraceQuery { service: service("cart"), operation: Some("query".into()), ..TraceQuery::default() },
        TraceQuery { service: service("cart"), operation: Some("query".into()), limit: 2, ..TraceQuery::default() },
        TraceQuery { service: service("db"), tags: tags(&[("customer", "c1")]), ..TraceQuery::default() },
        TraceQuery { service: service("db"), tags: tags(&[("customer", "c1")]), limit: 2, ..TraceQuery::default() },
        TraceQuery { service: service("db"), tags: tags(&[("customer", "c2"), ("http.status_code", "200")]), ..TraceQuery::default() },
        TraceQuery { service: service("frontend"), tags: tags(&[("error", "true")]), ..TraceQuery::default() },
        TraceQuery { service: service("frontend"), tags: tags(&[("span.kind", "server")]), limit: 4, ..TraceQuery::default() },
        TraceQuery { service: service("cart"), tags: tags(&[("blob", &"z".repeat(300))]), ..TraceQuery::default() },
        TraceQuery { service: service("cart"), tags: tags(&[("service.name", "cart")]), ..TraceQuery::default() },
        TraceQuery { service: service("frontend"), duration_min: ms(20), ..TraceQuery::default() },
        TraceQuery { service: service("frontend"), duration_min: ms(20), duration_max: ms(30), limit: 3, ..TraceQuery::default() },
        TraceQuery { service: service("db"), duration_max: ms(10), ..TraceQuery::default() },
        TraceQuery { service: service("db"), start_min: Some(base + 200_000_000), start_max: Some(base + 600_000_000), ..TraceQuery::default() },
        TraceQuery { service: service("db"), operation: Some("GET /".into()), tags: tags(&[("customer", "c3")]), duration_min: ms(5), ..TraceQuery::default() },
        TraceQuery { service: service("nobody"), ..TraceQuery::default() },
        TraceQuery { service: service("db"), start_min: Some(2), start_max: Some(1), ..TraceQuery::default() },
        TraceQuery { tags: tags(&[("customer", "c4")]), limit: 5, ..TraceQuery::default() },
        TraceQuery { start_min: Some(base + 300_000_000), start_max: Some(base + 700_000_000), ..TraceQuery::default() },
        TraceQuery { start_max: Some(base + 400_000_000), tags: tags(&[("error", "true")]), ..TraceQuery::default() },
        TraceQuery::default(),
    ];
    for query in &queries {
        let want = ids(&memory.find_traces(query));
        assert_eq!(ids(&disk.find_traces(query)), want, "{query:?}");
    }
    // The queries are not trivial: most find something, and not everything.
    let found: Vec<usize> = queries.iter().map(|q| disk.find_traces(q).len()).collect();
    assert!(
        found.iter().filter(|n| (1..40).contains(*n)).count() >= 16,
        "{found:?}"
    );
    assert_eq!(disk.services(), memory.services());
    for service in ["frontend", "cart", "db", "nobody"] {
        for kind in [None, Some(SpanKind::Server), Some(SpanKind::Client)] {
            assert_eq!(
                disk.operations_by_kind(service, kind),
                memory.operations_by_kind(service, kind),
                "{service} {kind:?}"
            );
        }
    }
    let (disk_stats, memory_stats) = (disk.stats(), memory.stats());
    assert_eq!(disk_stats.traces, 40);
    assert_eq!(disk_stats.spans, memory_stats.spans);
    assert_eq!(disk_stats.bytes, memory_stats.bytes);
    assert_eq!(disk_stats.spans_per_service, memory_stats.spans_per_service);
}

#[test]
fn traces_and_indexes_survive_a_reopen() {
    let dir = TempDir::new("reopen");
    let spans = dataset();
    let (services, search, trace_7, stats) = {
        let store = open(&dir.0, roomy());
        // Through the writer thread, as the collector writes.
        for batch in spans.chunks(5) {
            let outcome = store.enqueue(batch.to_vec(), writer::now());
            assert_eq!(outcome.stored, batch.len());
        }
        assert!(store.flush(Duration::from_secs(10)));
        let query = TraceQuery {
            service: Some("cart".into()),
            tags: [("customer".to_owned(), "c1".to_owned())].into(),
            ..TraceQuery::default()
        };
        (
            store.services(),
            (ids(&store.find_traces(&query)), query),
            store.get_trace(&7u128.to_be_bytes()).unwrap(),
            store.stats(),
        )
    };
    let want: Vec<&StoredSpan> = spans
        .iter()
        .filter(|s| s.trace_id == 7u128.to_be_bytes())
        .collect();
    let got: Vec<&StoredSpan> = trace_7.spans.iter().map(AsRef::as_ref).collect();
    assert_eq!(got, want);

    let store = open(&dir.0, roomy());
    assert_eq!(store.services(), services);
    assert_eq!(services, ["cart", "db", "frontend"]);
    assert!(!search.0.is_empty());
    assert_eq!(ids(&store.find_traces(&search.1)), search.0);
    assert_eq!(store.get_trace(&7u128.to_be_bytes()).unwrap(), trace_7);
    let reopened = store.stats();
    assert_eq!(
        (reopened.traces, reopened.spans, reopened.bytes),
        (stats.traces, stats.spans, stats.bytes)
    );
    // New spans continue the sequences: nothing is overwritten.
    put(
        &store,
        vec![stored(99, 1, None, "late", "op")],
        Duration::ZERO,
    );
    assert_eq!(store.get_trace(&7u128.to_be_bytes()).unwrap(), trace_7);
    assert_eq!(store.stats().traces, 41);
}

#[test]
fn oldest_traces_are_evicted_by_bytes_and_count() {
    let dir = TempDir::new("evict");
    let size = approximate_size(&stored(1, 1, None, "svc", "op"));
    let store = open(&dir.0, limits(4, 3 * size, 3600));
    for trace in 1..=5 {
        let service = format!("svc{trace}");
        put(
            &store,
            vec![stored(trace, 1, None, &service, "op")],
            Duration::ZERO,
        );
    }
    assert_eq!(held(&store), [3, 4, 5]);
    assert_eq!(store.services(), ["svc3", "svc4", "svc5"]);
    let stats = store.stats();
    assert_eq!((stats.traces, stats.spans, stats.bytes), (3, 3, 3 * size));
    assert_eq!(stats.evicted_traces, 2);
    for table in [
        tables::BY_SERVICE,
        tables::BY_OPERATION,
        tables::BY_DURATION,
    ] {
        assert_eq!(rows(&store, table), 3);
    }
    assert_eq!(rows(&store, tables::CHUNKS), 3);
    // A span bigger than the whole store is dropped; the others are kept.
    let mut huge = stored(6, 1, None, "svc6", "op");
    huge.name = "x".repeat(4 * size);
    let outcome = put(&store, vec![huge], Duration::ZERO);
    assert_eq!((outcome.stored, outcome.dropped), (0, 1));
    assert_eq!(held(&store), [3, 4, 5]);
    // The trace count bound, with room in bytes.
    let store_count = {
        drop(store);
        open(&dir.0, limits(2, 1 << 30, 3600))
    };
    // Lower bounds apply when the store is opened.
    assert_eq!(held(&store_count), [4, 5]);
    assert_eq!(store_count.stats().evicted_traces, 1);
    put(
        &store_count,
        vec![stored(7, 1, None, "svc7", "op")],
        Duration::ZERO,
    );
    assert_eq!(held(&store_count), [5, 7]);
}

#[test]
fn old_traces_expire_by_age() {
    let dir = TempDir::new("age");
    let store = open(&dir.0, limits(100, 1 << 30, 10));
    put(
        &store,
        vec![stored(1, 1, None, "old", "op")],
        Duration::from_secs(20),
    );
    // Past the bound, a trace is no longer answered even before it is removed.
    assert!(store.get_trace(&1u128.to_be_bytes()).is_none());
    assert!(held(&store).is_empty());
    // The writer thread may expire it first when idle: count either way.
    store.expire(writer::now());
    assert_eq!(store.stats().expired_traces, 1);
    assert!(store.services().is_empty());
    assert_eq!(rows(&store, tables::BY_SERVICE), 0);
    assert_eq!(rows(&store, tables::CHUNKS), 0);

    put(
        &store,
        vec![stored(2, 1, None, "new", "op")],
        Duration::from_secs(1),
    );
    assert_eq!(store.expire(writer::now()), 0);
    assert_eq!(held(&store), [2]);
    assert_eq!(store.services(), ["new"]);
    // Ten seconds on, it goes too.
    assert_eq!(store.expire(writer::now() + 10_000_000_000), 1);
    assert!(store.services().is_empty());
    let stats = store.stats();
    assert_eq!((stats.spans, stats.expired_traces), (0, 2));
}

#[test]
fn spans_past_the_per_trace_bound_are_dropped() {
    let dir = TempDir::new("per-trace");
    let store = open(
        &dir.0,
        Limits {
            max_spans_per_trace: 2,
            ..roomy()
        },
    );
    let spans = (1..=3).map(|s| stored(1, s, None, "svc", "op")).collect();
    let outcome = put(&store, spans, Duration::ZERO);
    assert_eq!((outcome.stored, outcome.dropped), (2, 1));
    let later = put(
        &store,
        vec![stored(1, 4, None, "svc", "op")],
        Duration::ZERO,
    );
    assert_eq!(later.dropped, 1);
    assert_eq!(
        store.get_trace(&1u128.to_be_bytes()).unwrap().spans.len(),
        2
    );
    assert_eq!(store.stats().dropped_spans, 2);
}

#[test]
fn a_full_queue_drops_and_counts_without_waiting() {
    let dir = TempDir::new("queue");
    let queue = writer::Queue {
        batches: 4,
        spans_per_write: 1,
    };
    let store = DiskStore::open_with(&dir.0, roomy(), queue).unwrap();
    // An open write transaction holds the writer at its next write, with at most one batch
    // in hand and four queued.
    let blocker = store.db.begin_write().unwrap();
    let mut refused = 0;
    for trace in 1..=20 {
        let outcome = store.enqueue(vec![stored(trace, 1, None, "svc", "op")], writer::now());
        refused += outcome.dropped;
    }
    assert!(refused >= 15, "{refused}");
    drop(blocker);
    assert!(store.flush(Duration::from_secs(30)));
    let stats = store.stats();
    assert_eq!(stats.dropped_spans, refused as u64);
    assert_eq!(stats.spans + refused, 20);
}

#[test]
fn one_store_directory_serves_one_process() {
    let dir = TempDir::new("locked");
    let _first = open(&dir.0, roomy());
    let err = DiskStore::open(&dir.0, roomy()).unwrap_err();
    assert!(matches!(err, DiskError::Open { .. }), "{err:?}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = TempDir::new("garbage");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join(super::DATABASE_FILE), b"not a database at all").unwrap();
    let err = DiskStore::open(&dir.0, roomy()).unwrap_err();
    assert!(matches!(err, DiskError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("traces.redb"), "{err}");
}
