//! The whole collector over real sockets: OTLP/gRPC with gzip in, Jaeger JSON out.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::Status;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::codec::CompressionEncoding;

use super::*;
use crate::test_support::{otlp_span, request};

const LOCALHOST_0: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

fn test_config() -> CollectorConfig {
    CollectorConfig {
        otlp_grpc: LOCALHOST_0,
        http: LOCALHOST_0,
        ..CollectorConfig::default()
    }
}

/// A minimal HTTP/1.1 GET: status code and body.
async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// Waits (bounded) until the drain task has stored `spans` spans.
async fn wait_for_spans(store: &TraceStore, spans: usize) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while store.stats().spans < spans {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_grpc_gzip_in_jaeger_json_out() {
    let collector = start(test_config()).await.unwrap();
    let (status, body) = http_get(collector.http_addr(), "/readyz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));

    let trace_id = [0x4b; 16];
    let mut root = otlp_span(&trace_id, &[1; 8], &[], "GET /productpage");
    root.status = Some(Status {
        message: "upstream failed".into(),
        code: OtlpStatus::Error as i32,
    });
    let child = otlp_span(&trace_id, &[2; 8], &[1; 8], "GET /details");
    let malformed = otlp_span(&trace_id[..8], &[3; 8], &[], "bad");
    let endpoint = format!("http://{}", collector.otlp_grpc_addr());
    let mut client = TraceServiceClient::connect(endpoint)
        .await
        .unwrap()
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let response = client
        .export(request("productpage", vec![root, child, malformed]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.partial_success.unwrap().rejected_spans, 1);

    wait_for_spans(&collector.store(), 2).await;
    let path = format!("/api/traces/{}", "4b".repeat(16));
    let (status, body) = http_get(collector.http_addr(), &path).await;
    assert_eq!(status, 200, "{body}");
    let body: Json = serde_json::from_str(&body).unwrap();
    let trace = &body["data"][0];
    assert_eq!(trace["traceID"], "4b".repeat(16));
    assert_eq!(trace["processes"]["p1"]["serviceName"], "productpage");
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    let details = spans
        .iter()
        .find(|s| s["operationName"] == "GET /details")
        .unwrap();
    assert_eq!(details["references"][0]["spanID"], "0101010101010101");
    assert_eq!(details["duration"], 2000);
    let root = spans
        .iter()
        .find(|s| s["operationName"] == "GET /productpage")
        .unwrap();
    assert!(
        root["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "error")
    );

    let (_, services) = http_get(collector.http_addr(), "/api/services").await;
    assert_eq!(
        services,
        r#"{"data":["productpage"],"total":1,"limit":0,"offset":0,"errors":null}"#
    );

    let store = collector.store();
    tokio::time::timeout(Duration::from_secs(10), collector.shutdown())
        .await
        .unwrap();
    assert_eq!(store.stats().spans, 2);
}

#[tokio::test]
async fn shutdown_stores_every_accepted_span() {
    let collector = start(test_config()).await.unwrap();
    let endpoint = format!("http://{}", collector.otlp_grpc_addr());
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    for trace in 1..=20u8 {
        let span = otlp_span(&[trace; 16], &[1; 8], &[], "op");
        client.export(request("svc", vec![span])).await.unwrap();
    }
    let store = collector.store();
    // No waiting for the drain: shutdown itself must store everything accepted.
    tokio::time::timeout(Duration::from_secs(10), collector.shutdown())
        .await
        .unwrap();
    assert_eq!(store.stats().traces, 20);
}

#[tokio::test]
async fn bind_failure_names_the_address() {
    let taken = std::net::TcpListener::bind(LOCALHOST_0).unwrap();
    let addr = taken.local_addr().unwrap();
    let config = CollectorConfig {
        http: addr,
        ..test_config()
    };
    let err = start(config).await.unwrap_err();
    assert!(matches!(err, StartError::Bind { listener: "HTTP", addr: a, .. } if a == addr));
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test]
async fn invalid_config_is_refused() {
    let mut config = test_config();
    config.pipeline_capacity = 0;
    let err = start(config).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid collector config: config key `pipeline_capacity` must be at least 1"
    );
}
