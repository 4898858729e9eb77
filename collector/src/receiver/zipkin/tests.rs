//! The Zipkin receiver in-process (`oneshot` on its router): a recorded-style Envoy payload,
//! protobuf, gzip, and every refusal.

use std::collections::BTreeMap;
use std::io::Write;

use axum::Router;
use axum::body::Body;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use prost::Message;
use tower::ServiceExt;

use super::proto::{ListOfSpans, ProtoAnnotation, ProtoEndpoint, Span};
use super::{SPANS_PATH, router};
use crate::pipeline::{Pipeline, PipelineDrain, Receiver, Refusal};
use crate::store::{StoredSpan, to_hex};

/// Three spans as Envoy's Zipkin tracer (Istio sidecars) posts them: a 64-bit trace id, an
/// inbound SERVER span, an outbound CLIENT span that failed (`error: true`, `UF`), and the
/// callee's SERVER span sharing the client's id, with timestamps written as strings.
const ENVOY_JSON: &str = include_str!("../../../tests/fixtures/zipkin_envoy_v2.json");

fn app(capacity: usize, limit: usize) -> (Router, Pipeline, PipelineDrain) {
    let (pipeline, drain) = Pipeline::bounded(capacity);
    (router(pipeline.clone(), limit), pipeline, drain)
}

fn post(content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(SPANS_PATH);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn attr<'a>(span: &'a StoredSpan, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn text(value: &str) -> Option<Value> {
    Some(Value::StringValue(value.to_owned()))
}

#[tokio::test]
async fn envoy_json_maps_like_the_opentelemetry_collector() {
    let (app, pipeline, mut drain) = app(4, 1 << 20);
    let (status, body) = send(&app, post(Some("application/json"), ENVOY_JSON)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let spans = drain.recv().await.unwrap();
    assert_eq!(spans.len(), 3);
    assert_eq!(pipeline.counters().accepted(Receiver::Zipkin), 3);

    let [server, client, shared] = spans.as_slice() else {
        panic!("three spans")
    };
    // 64-bit trace id, left-padded.
    assert_eq!(to_hex(&server.trace_id), "00000000000000005af7183fb1d4cf5f");
    assert_eq!(server.parent_span_id, None, "parentId absent");
    assert_eq!(server.kind, SpanKind::Server);
    assert_eq!(&*server.service, "productpage.default");
    assert_eq!(server.resource.len(), 1);
    assert_eq!(server.resource[0].key, "service.name");
    assert!(std::sync::Arc::ptr_eq(&server.resource, &client.resource));
    assert_eq!(server.start_unix_nano, 1_700_000_000_123_456_000);
    assert_eq!(server.duration_nanos(), 52_341_000);
    assert_eq!(attr(server, "http.status_code"), text("200").as_ref());
    assert_eq!(attr(server, "net.host.ip"), text("10.244.0.12").as_ref());
    assert_eq!(attr(server, "net.host.port"), Some(&Value::IntValue(9080)));
    assert_eq!(server.status.code, OtlpStatus::Unset);

    assert_eq!(client.kind, SpanKind::Client);
    assert_eq!(
        client.parent_span_id,
        Some(0x5af7183fb1d4cf5fu64.to_be_bytes())
    );
    assert_eq!(client.status.code, OtlpStatus::Error);
    assert_eq!(client.status.message, "");
    assert_eq!(attr(client, "error"), None, "error tag becomes the status");
    assert_eq!(attr(client, "response_flags"), text("UF").as_ref());
    assert_eq!(
        attr(client, "peer.service"),
        text("reviews.default").as_ref()
    );
    assert_eq!(attr(client, "net.peer.ip"), text("10.96.14.7").as_ref());
    assert_eq!(attr(client, "net.peer.port"), Some(&Value::IntValue(9080)));
    assert_eq!(attr(client, "server.address"), text("10.96.14.7").as_ref());
    let events: Vec<_> = client
        .events
        .iter()
        .map(|e| (e.name.as_str(), e.time_unix_nano))
        .collect();
    assert_eq!(
        events,
        [
            ("ws", 1_700_000_000_130_050_000),
            ("wr", 1_700_000_000_160_000_000)
        ]
    );

    // The shared server span keeps the client's id, as the OpenTelemetry Collector does.
    assert_eq!(shared.span_id, client.span_id);
    assert_eq!(shared.kind, SpanKind::Server);
    assert_eq!(&*shared.service, "reviews.default");
    assert_eq!(
        shared.start_unix_nano, 1_700_000_000_131_000_000,
        "string timestamp"
    );
    assert_eq!(shared.duration_nanos(), 28_000_000);
    assert_eq!(attr(shared, "net.host.ip"), text("fd00::7").as_ref());
    assert_eq!(attr(shared, "request_size"), text("0").as_ref());
}

#[tokio::test]
async fn missing_content_type_is_read_as_json() {
    let (app, _pipeline, mut drain) = app(4, 1 << 20);
    let (status, _) = send(&app, post(None, ENVOY_JSON)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(drain.recv().await.unwrap().len(), 3);
}

fn proto_span() -> Span {
    Span {
        trace_id: 0x5af7183fb1d4cf5fu64.to_be_bytes().to_vec(),
        id: vec![7; 8],
        parent_id: vec![6; 8],
        kind: 3,
        name: "send".into(),
        timestamp: 1_700_000_000_000_001,
        duration: 5,
        local_endpoint: Some(ProtoEndpoint {
            service_name: "queue-writer".into(),
            ipv4: vec![10, 0, 0, 9],
            ..Default::default()
        }),
        remote_endpoint: Some(ProtoEndpoint {
            service_name: "kafka".into(),
            port: 9092,
            ..Default::default()
        }),
        annotations: vec![ProtoAnnotation {
            timestamp: 1_700_000_000_000_002,
            value: "ws".into(),
        }],
        tags: BTreeMap::from([
            ("error".to_owned(), "broker down".to_owned()),
            ("topic".to_owned(), "orders".to_owned()),
        ]),
        debug: false,
        shared: false,
    }
}

#[tokio::test]
async fn protobuf_with_gzip() {
    let (app, _pipeline, mut drain) = app(4, 1 << 20);
    let list = ListOfSpans {
        spans: vec![proto_span()],
    };
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&list.encode_to_vec()).unwrap();
    let mut request = post(Some("application/x-protobuf"), encoder.finish().unwrap());
    request
        .headers_mut()
        .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let (status, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let span = &drain.recv().await.unwrap()[0];
    assert_eq!(to_hex(&span.trace_id), "00000000000000005af7183fb1d4cf5f");
    assert_eq!(span.parent_span_id, Some([6; 8]));
    assert_eq!(span.kind, SpanKind::Producer);
    assert_eq!(&*span.service, "queue-writer");
    assert_eq!(span.end_unix_nano, 1_700_000_000_000_006_000);
    assert_eq!(span.status.code, OtlpStatus::Error);
    assert_eq!(span.status.message, "broker down");
    assert_eq!(attr(span, "topic"), text("orders").as_ref());
    assert_eq!(attr(span, "net.host.ip"), text("10.0.0.9").as_ref());
    assert_eq!(attr(span, "peer.service"), text("kafka").as_ref());
    assert_eq!(attr(span, "server.address"), None, "producer, not client");
    assert_eq!(span.events[0].name, "ws");
}

#[rustfmt::skip]
#[tokio::test]
async fn malformed_payloads_are_400_naming_the_span_and_field() {
    let cases: &[(&str, &str)] = &[
        (r#"[{"traceId":"5af7183fb1d4cf5f","id":"1"},{"traceId":"xyz","id":"2"}]"#,
         "invalid Zipkin v2 JSON payload: span 1: traceId must be at most 32 hex digits"),
        (r#"[{"traceId":"5af7183fb1d4cf5f"}]"#,
         "invalid Zipkin v2 JSON payload: span 0: id is required"),
        (r#"[{"traceId":"1","id":"0000000000000000"}]"#,
         "invalid Zipkin v2 JSON payload: span 0: id must not be all zeros"),
        (r#"[{"traceId":"1","id":"2","kind":"SIDEWAYS"}]"#,
         "invalid Zipkin v2 JSON payload: span 0: kind must be CLIENT, SERVER, PRODUCER or CONSUMER"),
        (r#"[{"traceId":"1","id":"2","localEndpoint":{"ipv4":"300.1.1.1"}}]"#,
         "invalid Zipkin v2 JSON payload: span 0: localEndpoint is not a valid address"),
        (r#"[{"traceId":"1","id":"2","remoteEndpoint":{"port":70000}}]"#,
         "invalid Zipkin v2 JSON payload: span 0: remoteEndpoint port must be between 0 and 65535"),
        (r#"{"traceId":"1"}"#,
         "invalid Zipkin v2 JSON payload: invalid type: map, expected a sequence at line 1 column 0"),
    ];
    let (app, pipeline, _drain) = app(4, 1 << 20);
    for (body, want) in cases {
        let (status, message) = send(&app, post(Some("application/json"), *body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(&message, want, "{body}");
    }
    let refused = pipeline.counters().refused(Receiver::Zipkin, Refusal::Malformed);
    assert_eq!(refused, u64::try_from(cases.len()).unwrap());
}

#[tokio::test]
async fn malformed_protobuf_is_400() {
    let (app, _pipeline, _drain) = app(4, 1 << 20);
    let mut short = proto_span();
    short.trace_id = vec![1; 12];
    let list = ListOfSpans { spans: vec![short] };
    let (status, message) = send(
        &app,
        post(Some("application/x-protobuf"), list.encode_to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message,
        "invalid Zipkin v2 protobuf payload: span 0: trace_id must be 8 or 16 bytes, got 12"
    );
    let (status, message) = send(&app, post(Some("application/x-protobuf"), "\x0a\x05ab")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message.starts_with("invalid Zipkin v2 protobuf payload:"),
        "{message}"
    );
}

#[tokio::test]
async fn refusals_have_their_status_and_counter() {
    let (app, pipeline, _drain) = app(1, 256);
    let (status, _) = send(&app, post(Some("application/x-thrift"), "x")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = send(&app, post(Some("application/json"), ENVOY_JSON)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let one = r#"[{"traceId":"1","id":"2"}]"#;
    let (status, _) = send(&app, post(Some("application/json"), one)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = send(&app, post(Some("application/json"), one)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let counters = pipeline.counters();
    for reason in [
        Refusal::UnsupportedMediaType,
        Refusal::TooLarge,
        Refusal::PipelineFull,
    ] {
        assert_eq!(counters.refused(Receiver::Zipkin, reason), 1, "{reason:?}");
    }
}

#[tokio::test]
async fn empty_list_is_accepted() {
    let (app, _pipeline, _drain) = app(1, 256);
    let (status, _) = send(&app, post(Some("application/json"), "[]")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}
