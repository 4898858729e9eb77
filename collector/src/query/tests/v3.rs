//! The api_v3 gateway endpoints: exact JSON of services, operations, OTLP traces and errors.

use std::sync::Arc;

use http::StatusCode;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use serde_json::json;

use super::support::{app, app_with, get_json};
use crate::store::{SpanEvent, SpanStatus, StoredSpan};
use crate::test_support::{kv_str, stored};

/// `stored` spans start at 2023-11-14T22:13:20Z plus their span id in µs.
const WINDOW: &str =
    "query.start_time_min=2023-11-14T22:00:00Z&query.start_time_max=2023-11-14T23:00:00Z";

fn one_span_app() -> axum::Router {
    let span = StoredSpan {
        kind: SpanKind::Server,
        attributes: vec![kv_str("http.method", "GET")],
        status: SpanStatus {
            code: OtlpStatus::Error,
            message: "boom".into(),
        },
        events: vec![SpanEvent {
            time_unix_nano: 1_700_000_000_000_500_000,
            name: "exception".into(),
            attributes: Vec::new(),
        }],
        resource: Arc::from(vec![kv_str("service.name", "web")]),
        ..stored(0xabc, 2, Some(1), "web", "GET /")
    };
    app_with(vec![span])
}

#[tokio::test]
async fn services_and_operations() {
    let app = app();
    let (status, body) = get_json(&app, "/api/v3/services").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"services": ["backend", "batch", "frontend"]}));
    let (_, body) = get_json(&app, "/api/v3/operations?service=frontend").await;
    assert_eq!(
        body,
        json!({"operations": [{"name": "GET /", "spanKind": "server"}, {"name": "render"}]})
    );
    let (_, body) = get_json(&app, "/api/v3/operations?service=frontend&span_kind=server").await;
    assert_eq!(
        body,
        json!({"operations": [{"name": "GET /", "spanKind": "server"}]})
    );
    let (_, body) = get_json(&app, "/api/v3/operations").await;
    assert_eq!(body, json!({"operations": []}));
    let (status, body) = get_json(&app, "/api/v3/operations?service=a&span_kind=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["httpCode"], 400);
}

#[tokio::test]
async fn get_trace_is_otlp_json_in_a_result() {
    let app = one_span_app();
    let want = json!({"result": {"resourceSpans": [{
        "resource": {
            "attributes": [{"key": "service.name", "value": {"stringValue": "web"}}],
            "droppedAttributesCount": 0,
            "entityRefs": [],
        },
        "scopeSpans": [{
            "scope": null,
            "spans": [{
                "traceId": "00000000000000000000000000000abc",
                "spanId": "0000000000000002",
                "traceState": "",
                "parentSpanId": "0000000000000001",
                "flags": 0,
                "name": "GET /",
                "kind": 2,
                "startTimeUnixNano": "1700000000000002000",
                "endTimeUnixNano": "1700000000001502000",
                "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}],
                "droppedAttributesCount": 0,
                "events": [{
                    "timeUnixNano": "1700000000000500000",
                    "name": "exception",
                    "attributes": [],
                    "droppedAttributesCount": 0,
                }],
                "droppedEventsCount": 0,
                "links": [],
                "droppedLinksCount": 0,
                "status": {"message": "boom", "code": 2},
            }],
            "schemaUrl": "",
        }],
        "schemaUrl": "",
    }]}});
    let (status, body) = get_json(&app, "/api/v3/traces/abc").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, want);
    let (status, body) = get_json(
        &app,
        "/api/v3/traces/00000000000000000000000000000abc?start_time=2023-11-14T00:00:00Z",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, want);
    let (_, found) = get_json(
        &app,
        &format!("/api/v3/traces?{WINDOW}&query.service_name=web"),
    )
    .await;
    assert_eq!(found, want);
}

#[tokio::test]
async fn find_traces_filters_and_groups_by_resource() {
    let app = app();
    let (status, body) = get_json(&app, &format!("/api/v3/traces?{WINDOW}")).await;
    assert_eq!(status, StatusCode::OK);
    let resources = body["result"]["resourceSpans"].as_array().unwrap();
    // Newest trace first: frontend (root and render share a resource), backend; then batch.
    let services: Vec<_> = resources
        .iter()
        .map(|r| {
            let spans = r["scopeSpans"][0]["spans"].as_array().unwrap().len();
            (
                r["resource"]["attributes"][0]["value"]["stringValue"].clone(),
                spans,
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            (json!("frontend"), 2),
            (json!("backend"), 1),
            (json!("batch"), 1)
        ]
    );
    let (_, body) = get_json(
        &app,
        &format!("/api/v3/traces?{WINDOW}&query.service_name=frontend&query.operation_name=render&query.num_traces=1"),
    )
    .await;
    assert_eq!(body["result"]["resourceSpans"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn errors_are_gateway_error_objects() {
    let app = one_span_app();
    #[rustfmt::skip]
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("/api/v3/traces/fff".into(), StatusCode::NOT_FOUND, "No traces found"),
        (format!("/api/v3/traces?{WINDOW}&query.service_name=nobody"), StatusCode::NOT_FOUND, "No traces found"),
        ("/api/v3/traces/xyz".into(), StatusCode::BAD_REQUEST, "invalid trace id: trace id is not hex"),
        ("/api/v3/traces/abc?end_time=later".into(), StatusCode::BAD_REQUEST,
            "unable to parse param 'end_time': \"later\" is not an RFC 3339 date-time"),
        ("/api/v3/traces?query.service_name=web".into(), StatusCode::BAD_REQUEST,
            "parameter 'query.start_time_min' is required"),
        (format!("/api/v3/traces?{WINDOW}&query.duration_min=soon"), StatusCode::BAD_REQUEST,
            "unable to parse param 'query.duration_min': invalid duration \"soon\""),
    ];
    for (uri, status, message) in cases {
        let (got, body) = get_json(&app, &uri).await;
        assert_eq!(got, status, "{uri}");
        assert_eq!(
            body,
            json!({"error": {"httpCode": status.as_u16(), "message": message}}),
            "{uri}"
        );
    }
}
