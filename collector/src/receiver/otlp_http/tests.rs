//! The OTLP/HTTP receiver in-process (`oneshot` on its router): both encodings, gzip,
//! partial success, and every refusal with its status, body and counter.

use std::io::Write;

use axum::body::Body;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tower::ServiceExt;

use super::*;
use crate::pipeline::{PipelineDrain, Refusal};
use crate::test_support::{otlp_span, request};

/// The OTLP/JSON example from the opentelemetry-proto repository (`examples/trace.json`):
/// uppercase hex ids, int64 times as strings, enum as integer.
const EXAMPLE_JSON: &str = include_str!("../../../tests/fixtures/otlp_example_trace.json");

const TRACE: [u8; 16] = [0x5b; 16];

fn app(capacity: usize, limit: usize) -> (Router, Pipeline, PipelineDrain) {
    let (pipeline, drain) = Pipeline::bounded(capacity);
    (router(pipeline.clone(), limit), pipeline, drain)
}

fn post(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(TRACES_PATH)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body.to_vec())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn mixed_request() -> ExportTraceServiceRequest {
    request(
        "cart",
        vec![
            otlp_span(&TRACE, &[1; 8], &[], "good"),
            otlp_span(&TRACE[..4], &[2; 8], &[], "bad"),
        ],
    )
}

#[tokio::test]
async fn protobuf_in_protobuf_out_with_partial_success() {
    let (app, pipeline, mut drain) = app(4, 1 << 20);
    let body = mixed_request().encode_to_vec();
    let (status, headers, body) = send(&app, post("application/x-protobuf", body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf");
    let response = ExportTraceServiceResponse::decode(body.as_slice()).unwrap();
    let partial = response.partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial
            .error_message
            .contains("trace_id must be 16 bytes, got 4")
    );
    let batch = drain.recv().await.unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].name, "good");
    assert_eq!(pipeline.counters().accepted(Receiver::OtlpHttp), 1);
    assert_eq!(pipeline.counters().rejected(Receiver::OtlpHttp), 1);
}

#[tokio::test]
async fn official_json_example_is_decoded() {
    let (app, _pipeline, mut drain) = app(4, 1 << 20);
    let request = post("application/json", EXAMPLE_JSON);
    let (status, headers, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, b"{}");
    let span = &drain.recv().await.unwrap()[0];
    assert_eq!(
        crate::store::to_hex(&span.trace_id),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(crate::store::to_hex(&span.span_id), "eee19b7ec3c1b174");
    assert_eq!(
        span.parent_span_id,
        Some(0xeee1_9b7e_c3c1_b173u64.to_be_bytes())
    );
    assert_eq!(span.start_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.end_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(span.kind, SpanKind::Server);
    assert_eq!(&*span.service, "my.service");
    assert_eq!(span.attributes[0].key, "my.span.attr");
}

#[tokio::test]
async fn json_mapping_int64_as_string_or_number_and_events() {
    let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
        "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
        "parentSpanId":"","name":"op","kind":3,
        "startTimeUnixNano":1544712660000000000,"endTimeUnixNano":"1544712660500000000",
        "attributes":[{"key":"n","value":{"intValue":"9007199254740993"}},
                      {"key":"b","value":{"boolValue":true}}],
        "events":[{"timeUnixNano":"1544712660100000000","name":"retry"}],
        "status":{"code":2,"message":"boom"},
        "unknownField":{"ignored":true}
    }]}]}]}"#;
    let (app, _pipeline, mut drain) = app(4, 1 << 20);
    let (status, _, body) = send(&app, post("application/json", json)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let span = &drain.recv().await.unwrap()[0];
    assert_eq!(span.parent_span_id, None);
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(span.end_unix_nano - span.start_unix_nano, 500_000_000);
    let int = span.attributes[0].value.as_ref().unwrap().value.as_ref();
    assert_eq!(int, Some(&Value::IntValue(9_007_199_254_740_993)));
    assert_eq!(span.events[0].name, "retry");
    assert_eq!(span.events[0].time_unix_nano, 1_544_712_660_100_000_000);
    assert_eq!(span.status.message, "boom");
    assert_eq!(&*span.service, "unknown_service");
}

#[tokio::test]
async fn json_partial_success_writes_int64_as_string() {
    let (app, _pipeline, _drain) = app(4, 1 << 20);
    let json = serde_json::to_vec(&mixed_request()).unwrap();
    let (status, _, body) = send(&app, post("application/json", json)).await;
    assert_eq!(status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1");
    assert!(
        body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("trace_id")
    );
}

#[tokio::test]
async fn gzip_bodies_are_accepted_in_both_encodings() {
    let (app, _pipeline, mut drain) = app(4, 1 << 20);
    let proto = request("a", vec![otlp_span(&TRACE, &[1; 8], &[], "p")]).encode_to_vec();
    let json = serde_json::to_vec(&request("a", vec![otlp_span(&TRACE, &[2; 8], &[], "j")]));
    for (content_type, body) in [
        ("application/x-protobuf", proto),
        ("application/json", json.unwrap()),
    ] {
        let mut request = post(content_type, gzip(&body));
        request
            .headers_mut()
            .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        let (status, _, _) = send(&app, request).await;
        assert_eq!(status, StatusCode::OK, "{content_type}");
    }
    assert_eq!(drain.recv().await.unwrap()[0].name, "p");
    assert_eq!(drain.recv().await.unwrap()[0].name, "j");
}

#[tokio::test]
async fn malformed_protobuf_is_400_with_google_rpc_status() {
    let (app, pipeline, _drain) = app(4, 1 << 20);
    let (status, headers, body) =
        send(&app, post("application/x-protobuf", &b"\x0a\xff"[..])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf");
    let rpc = tonic_types::Status::decode(body.as_slice()).unwrap();
    assert_eq!(rpc.code, tonic::Code::InvalidArgument as i32);
    assert!(
        rpc.message.starts_with("invalid OTLP/protobuf payload:"),
        "{}",
        rpc.message
    );
    let refused = pipeline
        .counters()
        .refused(Receiver::OtlpHttp, Refusal::Malformed);
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_problem() {
    let (app, _pipeline, _drain) = app(4, 1 << 20);
    let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#;
    let (status, headers, body) = send(&app, post("application/json", json)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], 3);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid OTLP/JSON payload:"),
        "{message}"
    );
    assert!(message.contains("column"), "{message}");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let (app, pipeline, _drain) = app(4, 64);
    let body = request("a", vec![otlp_span(&TRACE, &[1; 8], &[], &"x".repeat(100))]);
    let (status, _, _) = send(&app, post("application/x-protobuf", body.encode_to_vec())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let refused = pipeline
        .counters()
        .refused(Receiver::OtlpHttp, Refusal::TooLarge);
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn other_content_types_are_415() {
    let (app, pipeline, _drain) = app(4, 1 << 20);
    let (status, _, body) = send(&app, post("text/plain", "hi")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(String::from_utf8_lossy(&body).contains("text/plain"));
    let refused = pipeline
        .counters()
        .refused(Receiver::OtlpHttp, Refusal::UnsupportedMediaType);
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn full_pipeline_is_429_with_retry_after() {
    let (app, pipeline, _drain) = app(1, 1 << 20);
    let body = || request("a", vec![otlp_span(&TRACE, &[1; 8], &[], "x")]).encode_to_vec();
    let (first, _, _) = send(&app, post("application/x-protobuf", body())).await;
    assert_eq!(first, StatusCode::OK);
    let (status, headers, _) = send(&app, post("application/x-protobuf", body())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "1");
    let refused = pipeline
        .counters()
        .refused(Receiver::OtlpHttp, Refusal::PipelineFull);
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn closed_pipeline_is_503_with_retry_after() {
    let (app, _pipeline, drain) = app(1, 1 << 20);
    drop(drain);
    let body = request("a", vec![otlp_span(&TRACE, &[1; 8], &[], "x")]).encode_to_vec();
    let (status, headers, _) = send(&app, post("application/x-protobuf", body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "1");
}

#[tokio::test]
async fn get_is_405() {
    let (app, _pipeline, _drain) = app(1, 1 << 20);
    let request = Request::get(TRACES_PATH).body(Body::empty()).unwrap();
    let (status, _, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
