//! Builders shared by the crate's tests.

use std::sync::Arc;

use arc_swap::ArcSwap;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use sampler::tail::{TailPolicyDocument, TailPolicySet};

use crate::store::{SpanStatus, StoredSpan};

/// A key/value attribute.
pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// A string attribute.
pub fn kv_str(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.to_owned()))
}

/// A stored span with the given ids, starting `span` µs after a fixed instant, lasting 1.5 ms.
pub fn stored(
    trace: u128,
    span: u64,
    parent: Option<u64>,
    service: &str,
    name: &str,
) -> StoredSpan {
    let start = 1_700_000_000_000_000_000 + span * 1_000;
    StoredSpan {
        trace_id: trace.to_be_bytes(),
        span_id: span.to_be_bytes(),
        parent_span_id: parent.map(u64::to_be_bytes),
        trace_state: String::new(),
        name: name.to_owned(),
        kind: SpanKind::Internal,
        start_unix_nano: start,
        end_unix_nano: start + 1_500_000,
        service: Arc::from(service),
        resource: Arc::from(vec![kv_str("service.name", service)]),
        attributes: Vec::new(),
        status: SpanStatus::default(),
        events: Vec::new(),
    }
}

/// An OTLP span with raw (possibly malformed) ids.
pub fn otlp_span(trace_id: &[u8], span_id: &[u8], parent: &[u8], name: &str) -> Span {
    Span {
        trace_id: trace_id.to_vec(),
        span_id: span_id.to_vec(),
        parent_span_id: parent.to_vec(),
        name: name.to_owned(),
        kind: SpanKind::Server as i32,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_002_000_000,
        ..Default::default()
    }
}

/// An export request holding `spans` from one resource of `service`.
pub fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv_str("service.name", service)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A collector config with every listener on `127.0.0.1:0`.
pub fn local_config() -> crate::CollectorConfig {
    let local = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
    crate::CollectorConfig {
        otlp_grpc: local,
        otlp_http: local,
        zipkin: local,
        http: local,
        sampling_http: local,
        sampling_grpc: local,
        ..crate::CollectorConfig::default()
    }
}

/// Polls `condition` every 5 ms until it holds; panics after 15 s, saying `what`.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let polled = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while !condition() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(polled.is_ok(), "timed out waiting until {what}");
}

/// A shared tail policy set built from its YAML document (the `tail_sampling` block).
pub fn policy_set(yaml: &str) -> Arc<ArcSwap<TailPolicySet>> {
    let doc: TailPolicyDocument = serde_yaml_ng::from_str(yaml).unwrap();
    Arc::new(ArcSwap::from_pointee(
        TailPolicySet::from_document(doc).unwrap(),
    ))
}

/// [`stored`] of service `svc`, operation `op`, with an error status.
pub fn error_span(trace: u128, span: u64, parent: Option<u64>) -> StoredSpan {
    let mut s = stored(trace, span, parent, "svc", "op");
    s.status.code = StatusCode::Error;
    s
}

/// Answers `GET uri` from `router` in-process: status, `content-type` and body as text.
pub async fn get_text(router: axum::Router, uri: &str) -> (http::StatusCode, String, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let response = router
        .oneshot(
            http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// Trace `trace`'s one span of a flood of unique traces: every hundredth failed.
pub fn flood_span(trace: u128) -> StoredSpan {
    if trace.is_multiple_of(100) {
        error_span(trace, 2, Some(1))
    } else {
        stored(trace, 2, Some(1), "svc", "op")
    }
}
