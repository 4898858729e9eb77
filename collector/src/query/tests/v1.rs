//! The Jaeger UI's `/api/*` endpoints, asserting exact JSON.

use http::StatusCode;
use serde_json::{Value as Json, json};

use super::support::{get, get_json, sample_store};
use crate::query::router;

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

#[tokio::test]
async fn operations_with_span_kinds() {
    let app = router(sample_store());
    let (status, body) = get_json(&app, "/api/operations?service=frontend").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": [{"name": "GET /", "spanKind": "server"}, {"name": "render", "spanKind": ""}],
               "total": 2, "limit": 0, "offset": 0, "errors": null})
    );
    let (_, body) = get_json(&app, "/api/operations?service=frontend&spanKind=server").await;
    assert_eq!(
        body["data"],
        json!([{"name": "GET /", "spanKind": "server"}])
    );
    let (_, body) = get_json(&app, "/api/operations?service=backend&spanKind=").await;
    assert_eq!(
        body["data"],
        json!([{"name": "query", "spanKind": "client"}])
    );
    let (_, body) = get_json(&app, "/api/operations?service=nobody").await;
    assert_eq!(body["data"], json!([]));

    let (status, body) = get_json(&app, "/api/operations").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"data": null, "total": 0, "limit": 0, "offset": 0,
               "errors": [{"code": 400, "msg": "parameter 'service' is required"}]})
    );
    let (status, body) = get_json(&app, "/api/operations?service=frontend&spanKind=sever").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["msg"],
        "unable to parse param 'spanKind': unknown span kind \"sever\", expected server, client, producer, consumer or internal"
    );
}
