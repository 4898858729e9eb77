//! The query API through the real `Router`, without sockets, asserting exact JSON.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use serde_json::{Value as Json, json};
use tower::ServiceExt;

use super::router;
use crate::config::StoreConfig;
use crate::store::{SpanEvent, SpanStatus, StoredSpan, TraceStore};
use crate::test_support::{kv, kv_str, stored};

const TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
const T0: u64 = 1_700_000_000_123_456_789;

async fn get(app: &Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, Json) {
    let (status, body) = get(app, uri).await;
    (status, serde_json::from_slice(&body).unwrap())
}

/// frontend `GET /` (server, error) -> backend `query` (client, ok) and frontend `render`.
fn sample_store() -> Arc<TraceStore> {
    let frontend_resource = vec![
        kv_str("service.name", "frontend"),
        kv_str("host.name", "web-1"),
    ];
    let root = StoredSpan {
        span_id: 0x00f067aa0ba902b7u64.to_be_bytes(),
        kind: SpanKind::Server,
        start_unix_nano: T0,
        end_unix_nano: T0 + 2_500_000,
        resource: Arc::from(frontend_resource.clone()),
        attributes: vec![
            kv_str("http.method", "GET"),
            kv("http.status_code", Value::IntValue(500)),
            kv("retried", Value::BoolValue(true)),
            kv("ratio", Value::DoubleValue(0.5)),
        ],
        status: SpanStatus {
            code: OtlpStatus::Error,
            message: "boom".into(),
        },
        events: vec![SpanEvent {
            time_unix_nano: T0 + 1_000_000,
            name: "exception".into(),
            attributes: vec![kv_str("exception.message", "oops")],
        }],
        ..stored(TRACE, 1, None, "frontend", "GET /")
    };
    let array = Value::ArrayValue(ArrayValue {
        values: vec![
            AnyValue {
                value: Some(Value::StringValue("a".into())),
            },
            AnyValue {
                value: Some(Value::IntValue(1)),
            },
        ],
    });
    let child = StoredSpan {
        span_id: 2u64.to_be_bytes(),
        kind: SpanKind::Client,
        start_unix_nano: T0 + 500_000,
        end_unix_nano: T0 + 1_500_000,
        attributes: vec![kv("db.args", array)],
        status: SpanStatus {
            code: OtlpStatus::Ok,
            message: String::new(),
        },
        ..stored(TRACE, 2, Some(0x00f067aa0ba902b7), "backend", "query")
    };
    // Same service and equal resource, in a different allocation: must share process p1.
    let render = StoredSpan {
        span_id: 3u64.to_be_bytes(),
        kind: SpanKind::Unspecified,
        start_unix_nano: T0 + 700_000,
        end_unix_nano: T0 + 800_000,
        resource: Arc::from(frontend_resource),
        ..stored(TRACE, 3, Some(0x00f067aa0ba902b7), "frontend", "render")
    };
    let store = TraceStore::new(StoreConfig::default());
    // Arrival order differs from start order on purpose.
    store.insert([
        child,
        render,
        root,
        stored(0xabc, 9, None, "batch", "nightly"),
    ]);
    Arc::new(store)
}

#[tokio::test]
async fn get_trace_has_the_jaeger_shape() {
    let app = router(sample_store());
    let (status, body) = get_json(&app, "/api/traces/4bf92f3577b34da6a3ce929d0e0e4736").await;
    assert_eq!(status, StatusCode::OK);
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let want = json!({
        "data": [{
            "traceID": trace_id,
            "spans": [
                {
                    "traceID": trace_id,
                    "spanID": "00f067aa0ba902b7",
                    "operationName": "GET /",
                    "references": [],
                    "flags": 1,
                    "startTime": 1_700_000_000_123_456u64,
                    "duration": 2500,
                    "tags": [
                        {"key": "http.method", "type": "string", "value": "GET"},
                        {"key": "http.status_code", "type": "int64", "value": 500},
                        {"key": "retried", "type": "bool", "value": true},
                        {"key": "ratio", "type": "float64", "value": 0.5},
                        {"key": "span.kind", "type": "string", "value": "server"},
                        {"key": "otel.status_code", "type": "string", "value": "ERROR"},
                        {"key": "error", "type": "bool", "value": true},
                        {"key": "otel.status_description", "type": "string", "value": "boom"},
                    ],
                    "logs": [{
                        "timestamp": 1_700_000_000_124_456u64,
                        "fields": [
                            {"key": "event", "type": "string", "value": "exception"},
                            {"key": "exception.message", "type": "string", "value": "oops"},
                        ],
                    }],
                    "processID": "p1",
                    "warnings": null,
                },
                {
                    "traceID": trace_id,
                    "spanID": "0000000000000002",
                    "operationName": "query",
                    "references": [
                        {"refType": "CHILD_OF", "traceID": trace_id, "spanID": "00f067aa0ba902b7"},
                    ],
                    "flags": 1,
                    "startTime": 1_700_000_000_123_956u64,
                    "duration": 1000,
                    "tags": [
                        {"key": "db.args", "type": "string", "value": "[\"a\",1]"},
                        {"key": "span.kind", "type": "string", "value": "client"},
                        {"key": "otel.status_code", "type": "string", "value": "OK"},
                    ],
                    "logs": [],
                    "processID": "p2",
                    "warnings": null,
                },
                {
                    "traceID": trace_id,
                    "spanID": "0000000000000003",
                    "operationName": "render",
                    "references": [
                        {"refType": "CHILD_OF", "traceID": trace_id, "spanID": "00f067aa0ba902b7"},
                    ],
                    "flags": 1,
                    "startTime": 1_700_000_000_124_156u64,
                    "duration": 100,
                    "tags": [],
                    "logs": [],
                    "processID": "p1",
                    "warnings": null,
                },
            ],
            "processes": {
                "p1": {
                    "serviceName": "frontend",
                    "tags": [{"key": "host.name", "type": "string", "value": "web-1"}],
                },
                "p2": {"serviceName": "backend", "tags": []},
            },
            "warnings": null,
        }],
        "total": 1,
        "limit": 0,
        "offset": 0,
        "errors": null,
    });
    assert_eq!(body, want);
}

#[tokio::test]
async fn services_and_operations() {
    let app = router(sample_store());
    let (status, body) = get_json(&app, "/api/services").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": ["backend", "batch", "frontend"], "total": 3, "limit": 0, "offset": 0, "errors": null})
    );
    let (_, body) = get_json(&app, "/api/services/frontend/operations").await;
    assert_eq!(
        body,
        json!({"data": ["GET /", "render"], "total": 2, "limit": 0, "offset": 0, "errors": null})
    );
    let (status, body) = get_json(&app, "/api/services/nobody/operations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!([]));
}

#[tokio::test]
async fn find_traces_filters_and_limits() {
    let app = router(sample_store());
    let ids = |body: &Json| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["traceID"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, body) = get_json(&app, "/api/traces?service=backend&lookback=1h&start=0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&body), ["4bf92f3577b34da6a3ce929d0e0e4736"]);
    assert_eq!(body["total"], 1);
    assert_eq!(body["data"][0]["spans"].as_array().unwrap().len(), 3);

    let (_, body) = get_json(&app, "/api/traces?service=frontend&operation=render").await;
    assert_eq!(ids(&body).len(), 1);
    let (_, body) = get_json(&app, "/api/traces?service=frontend&operation=nightly").await;
    assert_eq!(body["total"], 0);
    assert_eq!(body["data"], json!([]));
    let (_, body) = get_json(&app, "/api/traces?limit=1&service=&operation=").await;
    assert_eq!(ids(&body).len(), 1);
    let (_, body) = get_json(&app, "/api/traces").await;
    assert_eq!(ids(&body).len(), 2);
}

#[tokio::test]
async fn errors_use_the_envelope() {
    let app = router(sample_store());
    let (status, body) = get(&app, "/api/traces/0123456789abcdef0123456789abcdef").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#
    );
    let (status, body) = get_json(&app, "/api/traces/not-hex").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"data": null, "total": 0, "limit": 0, "offset": 0,
               "errors": [{"code": 400, "msg": "invalid trace id: trace id is not hex"}]})
    );
    let (status, body) = get_json(&app, "/api/traces?limit=ten").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["code"], 400);
    assert_eq!(body["data"], Json::Null);
}

#[tokio::test]
async fn short_trace_ids_are_left_padded() {
    let app = router(sample_store());
    let (status, body) = get_json(&app, "/api/traces/ABC").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"][0]["traceID"],
        "00000000000000000000000000000abc"
    );
}

#[tokio::test]
async fn health_endpoints() {
    let app = router(sample_store());
    for path in ["/healthz", "/readyz"] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, b"ok", "{path}");
    }
}
