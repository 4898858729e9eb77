//! What the trace view needs beyond the raw spans: `/api/dependencies`, clock-skew and
//! reference warnings, and Zipkin shared spans given distinct ids.

use std::sync::Arc;

use http::StatusCode;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::json;

use super::support::{app_with, get_json};
use crate::store::StoredSpan;
use crate::test_support::{kv_str, stored};

const MS: u64 = 1_000_000;
/// 2023-11-14T22:13:20Z in ms, the instant `stored` spans start near.
const BASE_MS: u64 = 1_700_000_000_000;

fn span(
    trace: u128,
    id: u64,
    parent: Option<u64>,
    service: &str,
    kind: SpanKind,
    start_ms: u64,
    end_ms: u64,
) -> StoredSpan {
    StoredSpan {
        kind,
        start_unix_nano: (BASE_MS + start_ms) * MS,
        end_unix_nano: (BASE_MS + end_ms) * MS,
        resource: Arc::from(vec![
            kv_str("service.name", service),
            kv_str("host.name", service),
        ]),
        ..stored(trace, id, parent, service, "op")
    }
}

#[tokio::test]
async fn dependencies_count_cross_service_calls() {
    use SpanKind::{Client, Internal, Server};
    let app = app_with(vec![
        // Trace 1: web -> api (client/server pair) -> db; web internal child.
        span(1, 1, None, "web", Server, 0, 100),
        span(1, 2, Some(1), "web", Client, 10, 90),
        span(1, 3, Some(2), "api", Server, 20, 80),
        span(1, 4, Some(3), "db", Server, 30, 40),
        span(1, 5, Some(1), "web", Internal, 91, 95),
        // Trace 2: web -> api again, an hour later.
        span(2, 1, None, "web", Client, 3_600_000, 3_600_010),
        span(2, 2, Some(1), "api", Server, 3_600_001, 3_600_009),
        // Trace 3: a Zipkin shared span: client and server both id 7.
        span(3, 6, None, "web", Server, 0, 50),
        span(3, 7, Some(6), "web", Client, 5, 45),
        span(3, 7, Some(6), "api", Server, 10, 40),
    ]);
    let end = BASE_MS + 3_600_100;
    let (status, body) = get_json(
        &app,
        &format!("/api/dependencies?endTs={end}&lookback=86400000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": [
                  {"parent": "api", "child": "db", "callCount": 1},
                  {"parent": "web", "child": "api", "callCount": 3},
               ],
               "total": 2, "limit": 0, "offset": 0, "errors": null})
    );
    // The last half hour holds only trace 2's call.
    let (_, body) = get_json(
        &app,
        &format!("/api/dependencies?endTs={end}&lookback=1800000"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"parent": "web", "child": "api", "callCount": 1}])
    );
    let (_, body) = get_json(
        &app,
        &format!("/api/dependencies?endTs={end}&lookback=86400000&service=db"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"parent": "api", "child": "db", "callCount": 1}])
    );
    let (status, body) = get_json(&app, "/api/dependencies?endTs=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["msg"],
        "unable to parse param 'endTs': \"yesterday\" is not a non-negative integer"
    );
}

#[tokio::test]
async fn clock_skew_and_missing_parents_become_span_warnings() {
    let app = app_with(vec![
        span(1, 1, None, "web", SpanKind::Client, 100, 200),
        // Starts 10 ms before its parent on another host.
        span(1, 2, Some(1), "api", SpanKind::Server, 90, 110),
        // Its parent never arrived.
        span(1, 3, Some(9), "api", SpanKind::Internal, 150, 160),
    ]);
    let (_, body) = get_json(&app, "/api/traces/1").await;
    let spans = body["data"][0]["spans"].as_array().unwrap();
    let warnings: Vec<_> = spans
        .iter()
        .map(|s| (s["spanID"].clone(), s["warnings"].clone()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                json!("0000000000000002"),
                json!(["clock skew adjustment disabled; not applying calculated delta of 50ms"])
            ),
            (json!("0000000000000001"), json!(null)),
            (
                json!("0000000000000003"),
                json!([
                    "parent span ID=0000000000000009 is not in the trace; skipping clock skew adjustment"
                ])
            ),
        ]
    );
    // Times are shown as stored, not moved.
    assert_eq!(spans[0]["startTime"], (BASE_MS + 90) * 1_000);
    assert_eq!(body["data"][0]["warnings"], json!(null));
}

#[tokio::test]
async fn shared_span_ids_are_made_unique() {
    let app = app_with(vec![
        span(3, 6, None, "web", SpanKind::Server, 0, 50),
        span(3, 7, Some(6), "web", SpanKind::Client, 5, 45),
        span(3, 7, Some(6), "api", SpanKind::Server, 10, 40),
        span(3, 8, Some(7), "api", SpanKind::Internal, 15, 20),
    ]);
    let (_, body) = get_json(&app, "/api/traces/3").await;
    let shape: Vec<_> = body["data"][0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["spanID"].clone(),
                s["references"][0]["spanID"].clone(),
                s["warnings"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (json!("0000000000000006"), json!(null), json!(null)),
            (
                json!("0000000000000007"),
                json!("0000000000000006"),
                json!(null)
            ),
            // The server half: first unused id, child of the client half.
            (
                json!("0000000000000001"),
                json!("0000000000000007"),
                json!(null)
            ),
            // Children of the shared id hang under the server half.
            (
                json!("0000000000000008"),
                json!("0000000000000001"),
                json!(null)
            ),
        ]
    );
}
