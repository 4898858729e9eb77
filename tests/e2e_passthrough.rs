//! `meshtrace collector --passthrough` as a real process between real sockets: OTLP/gRPC and
//! OTLP/HTTP protobuf in, OTLP/gRPC out to an in-process sink that keeps every request. Every
//! span arrives, byte for byte (attributes, events, links, scopes, resources), counted
//! exactly on both sides; malformed requests are refused with INVALID_ARGUMENT / 400 and
//! counted; nothing is stored.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Status};
use prost::Message;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;

/// Requests sent over gRPC, and spans in each.
const REQUESTS: u8 = 12;
const SPANS: u8 = 7;

/// The sink: every `ResourceSpans` it was sent.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<ResourceSpans>>>);

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0
            .lock()
            .unwrap()
            .extend(request.into_inner().resource_spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Sink {
    fn spans(&self) -> usize {
        let got = self.0.lock().unwrap();
        got.iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum()
    }
}

async fn start_sink() -> (Sink, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sink = Sink::default();
    let service =
        TraceServiceServer::new(sink.clone()).accept_compressed(CompressionEncoding::Gzip);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (sink, addr)
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// A request using what the store would not keep: scopes, links, flags, nested values.
fn rich_request(trace: u8) -> ExportTraceServiceRequest {
    let mut request = support::otlp::request(trace, SPANS, Some(&format!("svc-{trace}")));
    let rs = &mut request.resource_spans[0];
    rs.schema_url = "https://opentelemetry.io/schemas/1.26.0".into();
    rs.scope_spans[0].scope = Some(InstrumentationScope {
        name: "io.meshtrace.test".into(),
        version: "1.2.3".into(),
        ..InstrumentationScope::default()
    });
    for (i, span) in rs.scope_spans[0].spans.iter_mut().enumerate() {
        span.attributes = vec![
            kv("http.route", Value::StringValue(format!("/item/{i} ✓"))),
            kv("retries", Value::IntValue(i as i64)),
            kv(
                "tags",
                Value::ArrayValue(ArrayValue {
                    values: vec![AnyValue {
                        value: Some(Value::BytesValue(vec![trace, i as u8])),
                    }],
                }),
            ),
        ];
        span.events = vec![Event {
            time_unix_nano: 1_700_000_000_000_500_000,
            name: "cache miss".into(),
            ..Event::default()
        }];
        span.links = vec![Link {
            trace_id: vec![0xee; 16],
            span_id: vec![0xef; 8],
            trace_state: "vendor=x".into(),
            flags: 0x301,
            ..Link::default()
        }];
        span.status = Some(Status {
            message: "ok".into(),
            code: 1,
        });
        span.flags = 0x101;
    }
    request
}

/// Encoded `ResourceSpans`, sorted: what was sent and what arrived compare as multisets.
fn sorted_encodings(resource_spans: &[ResourceSpans]) -> Vec<Vec<u8>> {
    let mut all: Vec<_> = resource_spans.iter().map(Message::encode_to_vec).collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_forwards_every_span_intact_and_refuses_malformed_requests() {
    let (sink, sink_addr) = start_sink().await;
    let export = format!("grpc://{sink_addr}");
    let collector = support::collector(&["--passthrough", "--export", &export]);
    let endpoint = format!("http://{}", collector.addrs["otlp-grpc"]);

    let mut sent = Vec::new();
    let mut client = TraceServiceClient::connect(endpoint.clone()).await.unwrap();
    for trace in 1..=REQUESTS {
        let request = rich_request(trace);
        sent.extend(request.resource_spans.clone());
        let response = client.export(request).await.unwrap().into_inner();
        assert_eq!(response.partial_success, None);
    }
    // OTLP/HTTP protobuf takes the same path.
    let http_request = rich_request(0x40);
    sent.extend(http_request.resource_spans.clone());
    let traces = format!("http://{}/v1/traces", collector.addrs["otlp-http"]);
    let (status, _, body) = support::send(
        http::Method::POST,
        &traces,
        &[("content-type", "application/x-protobuf")],
        Bytes::from(http_request.encode_to_vec()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let total = (usize::from(REQUESTS) + 1) * usize::from(SPANS);

    // Malformed: truncated inside a span, and a string that is not UTF-8. Refused whole.
    let mut truncated = rich_request(0x50).encode_to_vec();
    truncated.truncate(truncated.len() - 5);
    let (status, message) = support::otlp::raw_export(&endpoint, None, &truncated).await;
    assert_eq!(status, "3", "INVALID_ARGUMENT: {message}");
    assert!(
        message.contains("invalid OTLP/protobuf payload"),
        "{message}"
    );
    let not_utf8 = [0x0a, 0x03, 0x1a, 0x01, 0xff];
    let (status, message) = support::otlp::raw_export(&endpoint, None, &not_utf8).await;
    assert_eq!(status, "3", "{message}");
    assert!(message.contains("not UTF-8"), "{message}");
    let (status, _, body) = support::send(
        http::Method::POST,
        &traces,
        &[("content-type", "application/x-protobuf")],
        Bytes::from(truncated),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // Every span arrives exactly once, as sent.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.spans() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.spans(), total, "spans the sink received");
    let received = sink.0.lock().unwrap().clone();
    assert_eq!(sorted_encodings(&received), sorted_encodings(&sent));

    // The counters agree, and the refusals are counted as malformed.
    let accepted = |receiver: &'static str| {
        support::metric(
            &collector,
            "meshtrace_receiver_accepted_spans_total",
            match receiver {
                "grpc" => r#"receiver="otlp_grpc""#,
                _ => r#"receiver="otlp_http""#,
            },
        )
    };
    assert_eq!(
        accepted("grpc").await,
        f64::from(REQUESTS) * f64::from(SPANS)
    );
    assert_eq!(accepted("http").await, f64::from(SPANS));
    let exporter = format!(r#"exporter="{export}""#);
    let sent_metric =
        support::metric(&collector, "meshtrace_exporter_sent_spans_total", &exporter).await;
    assert_eq!(sent_metric, total as f64);
    let refused = support::metric(
        &collector,
        "meshtrace_receiver_refused_requests_total",
        r#"receiver="otlp_grpc",reason="malformed""#,
    )
    .await;
    assert_eq!(refused, 2.0);

    // Nothing is stored: the query API knows no service.
    let services = format!("http://{}/api/services", collector.addrs["http"]);
    let (status, _, body) = support::get(&services, &[]).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["data"], serde_json::json!([]), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_without_an_exporter_is_one_clear_line() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .args(["collector", "--passthrough"])
        .args(support::LOCAL_COLLECTOR)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--passthrough"), "{stderr}");
    assert!(stderr.contains("--export"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_with_tail_policies_still_samples() {
    let (sink, sink_addr) = start_sink().await;
    let export = format!("grpc://{sink_addr}");
    let policies = std::env::temp_dir().join(format!(
        "meshtrace-e2e-passthrough-tail-{}.yaml",
        std::process::id()
    ));
    std::fs::write(
        &policies,
        "decision_wait: 1s\npolicies:\n  - name: errors\n    type: status_code\n    status_code: {status_codes: [ERROR]}\n",
    )
    .unwrap();
    let collector = support::collector(&[
        "--passthrough",
        "--export",
        &export,
        "--tail-policies",
        policies.to_str().unwrap(),
    ]);
    let endpoint = format!("http://{}", collector.addrs["otlp-grpc"]);
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    let mut failing = rich_request(0x61);
    for span in &mut failing.resource_spans[0].scope_spans[0].spans {
        span.status = Some(Status {
            message: "boom".into(),
            code: 2,
        });
    }
    client.export(failing).await.unwrap();
    client.export(rich_request(0x62)).await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.spans() < usize::from(SPANS) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The other trace is decided (dropped) by now too; nothing more arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.0.lock().unwrap().clone();
    let spans: Vec<_> = received
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .collect();
    assert_eq!(spans.len(), usize::from(SPANS), "only the failing trace");
    for span in spans {
        assert_eq!(span.trace_id, vec![0x61; 16]);
        assert!(
            span.attributes.iter().any(|kv| kv.key == "sampling.policy"),
            "kept spans say why"
        );
    }
    let _ = std::fs::remove_file(&policies);
}
