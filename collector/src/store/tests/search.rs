//! Searches through the indexes: every filter alone and combined, ordering, limits, and the
//! operation catalogue by span kind.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

use crate::config::StoreConfig;
use crate::store::{Operation, SpanStatus, StoredSpan, TraceQuery, TraceStore};
use crate::test_support::{kv, kv_str, stored};

/// `stored` spans start at this instant plus the span id in µs.
const BASE: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn span(trace: u128, id: u64, service: &str, name: &str, duration_ms: u64) -> StoredSpan {
    let base = stored(trace, id, None, service, name);
    StoredSpan {
        end_unix_nano: base.start_unix_nano + duration_ms * MS,
        ..base
    }
}

/// 1: frontend GET / (10 ms) -> backend query (5 ms, db.system=postgres, server)
/// 2: frontend GET / (300 ms, error) -> backend query (250 ms, client)
/// 3: frontend POST / (20 ms, resource zone=eu)
/// 4: batch nightly (1 s)
fn sample() -> TraceStore {
    let store = TraceStore::new(StoreConfig::default());
    let with_db = StoredSpan {
        attributes: vec![
            kv_str("db.system", "postgres"),
            kv("rows", Value::IntValue(3)),
        ],
        kind: SpanKind::Server,
        ..span(1, 11, "backend", "query", 5)
    };
    let failed = StoredSpan {
        status: SpanStatus {
            code: StatusCode::Error,
            message: "timeout".into(),
        },
        ..span(2, 20, "frontend", "GET /", 300)
    };
    let slow_client = StoredSpan {
        kind: SpanKind::Client,
        ..span(2, 21, "backend", "query", 250)
    };
    let mut post = span(3, 30, "frontend", "POST /", 20);
    post.resource = std::sync::Arc::from(vec![
        kv_str("service.name", "frontend"),
        kv_str("zone", "eu"),
    ]);
    store.insert([
        span(1, 10, "frontend", "GET /", 10),
        with_db,
        failed,
        slow_client,
        post,
        span(4, 40, "batch", "nightly", 1_000),
    ]);
    store
}

fn ids(store: &TraceStore, query: TraceQuery) -> Vec<u128> {
    store
        .find_traces(&query)
        .iter()
        .map(|t| u128::from_be_bytes(t.trace_id))
        .collect()
}

fn service(name: &str) -> TraceQuery {
    TraceQuery {
        service: Some(name.to_owned()),
        ..TraceQuery::default()
    }
}

#[rustfmt::skip]
#[test]
fn filters_table() {
    let store = sample();
    let tags = |list: &[(&str, &str)]| list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let cases: Vec<(&str, TraceQuery, Vec<u128>)> = vec![
        ("everything, newest first",   TraceQuery::default(),                                           vec![4, 3, 2, 1]),
        ("service",                    service("frontend"),                                             vec![3, 2, 1]),
        ("unknown service",            service("nobody"),                                               vec![]),
        ("operation",                  TraceQuery { operation: Some("GET /".into()), ..service("frontend") }, vec![2, 1]),
        ("operation of another service", TraceQuery { operation: Some("query".into()), ..service("frontend") }, vec![]),
        ("operation, no service",      TraceQuery { operation: Some("query".into()), ..Default::default() }, vec![2, 1]),
        ("min duration (index)",       TraceQuery { duration_min: Some(100 * MS), ..service("backend") }, vec![2]),
        ("min and max duration",       TraceQuery { duration_min: Some(5 * MS), duration_max: Some(20 * MS), ..service("frontend") }, vec![3, 1]),
        ("max duration alone",         TraceQuery { duration_max: Some(10 * MS), ..service("frontend") }, vec![1]),
        ("inverted durations",         TraceQuery { duration_min: Some(2 * MS), duration_max: Some(MS), ..service("frontend") }, vec![]),
        ("min duration and operation", TraceQuery { duration_min: Some(100 * MS), operation: Some("GET /".into()), ..service("frontend") }, vec![2]),
        // Span ids 10..40 start at BASE + id µs.
        ("start window",               TraceQuery { start_min: Some(BASE + 15_000), start_max: Some(BASE + 30_000), ..service("frontend") }, vec![3, 2]),
        ("start window, no service",   TraceQuery { start_min: Some(BASE + 25_000), ..Default::default() }, vec![4, 3]),
        ("inverted window",            TraceQuery { start_min: Some(BASE + 30_000), start_max: Some(BASE), ..service("frontend") }, vec![]),
        ("span attribute",             TraceQuery { tags: tags(&[("db.system", "postgres")]), ..service("backend") }, vec![1]),
        ("int attribute as text",      TraceQuery { tags: tags(&[("rows", "3")]), ..service("backend") }, vec![1]),
        ("resource attribute",         TraceQuery { tags: tags(&[("zone", "eu")]), ..service("frontend") }, vec![3]),
        ("error tag",                  TraceQuery { tags: tags(&[("error", "true")]), ..service("frontend") }, vec![2]),
        ("span.kind tag",              TraceQuery { tags: tags(&[("span.kind", "client")]), ..service("backend") }, vec![2]),
        ("two tags on one span",       TraceQuery { tags: tags(&[("db.system", "postgres"), ("span.kind", "server")]), ..service("backend") }, vec![1]),
        ("tags on different spans",    TraceQuery { tags: tags(&[("db.system", "postgres"), ("span.kind", "client")]), ..service("backend") }, vec![]),
        ("tag, no service",            TraceQuery { tags: tags(&[("error", "true")]), ..Default::default() }, vec![2]),
        ("limit keeps the newest",     TraceQuery { limit: 2, ..service("frontend") },                 vec![3, 2]),
        ("limit without service",      TraceQuery { limit: 1, ..Default::default() },                   vec![4]),
        ("limit on the duration path", TraceQuery { limit: 1, duration_min: Some(MS), ..service("frontend") }, vec![3]),
    ];
    for (name, query, want) in cases {
        assert_eq!(ids(&store, query), want, "{name}");
    }
}

#[test]
fn one_span_must_meet_every_condition() {
    let store = sample();
    // Trace 2 has a slow span (GET /, 300 ms) and a `query` span, but no slow `query` span
    // of frontend.
    let query = TraceQuery {
        operation: Some("GET /".into()),
        duration_max: Some(100 * MS),
        ..service("frontend")
    };
    assert_eq!(ids(&store, query), [1]);
}

#[test]
fn results_are_whole_traces() {
    let store = sample();
    let traces = store.find_traces(&TraceQuery {
        tags: [("db.system".to_owned(), "postgres".to_owned())].into(),
        ..service("backend")
    });
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].spans.len(), 2);
}

#[test]
fn operations_by_kind() {
    let store = sample();
    store.insert([StoredSpan {
        kind: SpanKind::Client,
        ..span(5, 50, "frontend", "GET /", 1)
    }]);
    let op = |name: &str, kind| Operation {
        name: name.into(),
        kind,
    };
    assert_eq!(
        store.operations_by_kind("frontend", None),
        [
            op("GET /", SpanKind::Internal),
            op("GET /", SpanKind::Client),
            op("POST /", SpanKind::Internal),
        ]
    );
    assert_eq!(
        store.operations_by_kind("frontend", Some(SpanKind::Client)),
        [op("GET /", SpanKind::Client)]
    );
    assert!(
        store
            .operations_by_kind("frontend", Some(SpanKind::Producer))
            .is_empty()
    );
    assert!(store.operations_by_kind("nobody", None).is_empty());
    // Names only, once each.
    assert_eq!(store.operations("frontend"), ["GET /", "POST /"]);
    assert_eq!(store.services(), ["backend", "batch", "frontend"]);
}
