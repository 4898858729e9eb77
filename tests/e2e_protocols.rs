//! Protocols through the sidecar, as real processes: gRPC over h2c (the collector's own
//! OTLP/gRPC service as the workload) and an upgraded connection (websocket-style).

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_passes_through_the_sidecar_and_is_traced() {
    let collector = support::collector(&[]);
    let otlp = collector.addrs["otlp-grpc"];
    let query = format!("http://{}", collector.addrs["http"]);
    // The sidecar fronts the collector's gRPC service and reports its spans to it too.
    let sidecar = support::start(
        &support::sidecar_args("grpc-front", &otlp.to_string(), &format!("grpc://{otlp}")),
        support::SIDECAR_LISTENERS,
    );

    let mut client = TraceServiceClient::connect(format!("http://{}", sidecar.addrs["inbound"]))
        .await
        .unwrap();
    let payload_trace = [7u8; 16];
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: payload_trace.to_vec(),
                    span_id: vec![1; 8],
                    name: "carried".into(),
                    start_time_unix_nano: 1_700_000_000_000_000_000,
                    end_time_unix_nano: 1_700_000_000_001_000_000,
                    ..Span::default()
                }],
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    };
    let caller_trace = "5bf92f3577b34da6a3ce929d0e0e4736";
    let mut request = tonic::Request::new(request);
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{caller_trace}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    // A gRPC status travels in trailers: an OK answer proves they passed through.
    client
        .export(request)
        .await
        .expect("export through the sidecar");

    // The payload reached the workload (the collector) through the sidecar...
    let carried = format!("{query}/api/traces/{}", "07".repeat(16));
    support::poll_json(&carried, Duration::from_secs(15), |j| {
        j["data"][0]["spans"][0]["operationName"] == "carried"
    })
    .await;
    // ...and the sidecar recorded the gRPC call as a server span of the caller's trace.
    let traced = format!("{query}/api/traces/{caller_trace}");
    let answer = support::poll_json(&traced, Duration::from_secs(15), |j| {
        j["data"][0]["spans"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    })
    .await;
    let span = &answer["data"][0]["spans"][0];
    assert_eq!(
        span["operationName"],
        "POST /opentelemetry.proto.collector.trace.v1.TraceService/Export"
    );
    assert_eq!(span["references"][0]["spanID"], "00f067aa0ba902b7");
    let status = span["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "http.response.status_code");
    assert_eq!(status.map(|t| &t["value"]), Some(&Value::from(200)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_connections_are_spliced_through() {
    let app = support::apps::upgrade_echo().await.to_string();
    let sidecar = support::start(
        &support::sidecar_args("ws", &app, "grpc://127.0.0.1:9"),
        support::SIDECAR_LISTENERS,
    );
    let mut stream = TcpStream::connect(sidecar.addrs["inbound"]).await.unwrap();
    stream
        .write_all(
            b"GET /chat HTTP/1.1\r\nHost: ws\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).await.unwrap(),
            1,
            "connection closed during the 101"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("upgrade: echo"),
        "{head}"
    );
    for message in [
        &b"ping"[..],
        b"a longer message through the spliced connection",
    ] {
        stream.write_all(message).await.unwrap();
        let mut echoed = vec![0u8; message.len()];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut echoed))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(echoed, message);
    }
}
