//! Helpers shared by the query API tests: requests through the real `Router`, without
//! sockets, and a sample store.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use serde_json::Value as Json;
use tower::ServiceExt;

use crate::config::StoreConfig;
use crate::query::router;
use crate::store::{SpanEvent, SpanStatus, StoredSpan, TraceStore};
use crate::test_support::{kv, kv_str, stored};

pub const TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
pub const T0: u64 = 1_700_000_000_123_456_789;

pub async fn get(app: &Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

pub async fn get_json(app: &Router, uri: &str) -> (StatusCode, Json) {
    let (status, body) = get(app, uri).await;
    (status, serde_json::from_slice(&body).unwrap())
}

/// frontend `GET /` (server, error) -> backend `query` (client, ok) and frontend `render`.
pub fn sample_store() -> Arc<TraceStore> {
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

/// The router over [`sample_store`].
pub fn app() -> Router {
    router(sample_store())
}

/// The router over a store holding `spans`.
pub fn app_with(spans: Vec<StoredSpan>) -> Router {
    let store = TraceStore::new(StoreConfig::default());
    store.insert(spans);
    router(Arc::new(store))
}
