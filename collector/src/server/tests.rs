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
        otlp_http: LOCALHOST_0,
        zipkin: LOCALHOST_0,
        http: LOCALHOST_0,
        sampling_http: LOCALHOST_0,
        sampling_grpc: LOCALHOST_0,
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

/// A minimal HTTP/1.1 POST: status code, lowercase head, and body.
async fn http_post(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, response[split + 4..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_http_and_zipkin_over_sockets() {
    use crate::pipeline::{Receiver, Refusal};

    let collector = start(test_config()).await.unwrap();
    let otlp_json = serde_json::to_vec(&request(
        "checkout",
        vec![otlp_span(&[0x77; 16], &[1; 8], &[], "POST /pay")],
    ))
    .unwrap();
    let (status, head, body) = http_post(
        collector.otlp_http_addr(),
        "/v1/traces",
        "application/json",
        &otlp_json,
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(head.contains("content-type: application/json"), "{head}");

    let zipkin = include_bytes!("../../tests/fixtures/zipkin_envoy_v2.json");
    let (status, _, _) = http_post(
        collector.zipkin_addr(),
        "/api/v2/spans",
        "application/json",
        zipkin,
    )
    .await;
    assert_eq!(status, 202);
    let (status, _, body) = http_post(
        collector.zipkin_addr(),
        "/api/v2/spans",
        "application/json",
        b"[{",
    )
    .await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).starts_with("invalid Zipkin v2 JSON payload"));

    wait_for_spans(&collector.store(), 4).await;
    let (status, body) = http_get(
        collector.http_addr(),
        &format!("/api/traces/{}", "77".repeat(16)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(collector.http_addr(), "/api/traces/5af7183fb1d4cf5f").await;
    assert_eq!(status, 200, "{body}");
    let body: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(body["data"][0]["spans"].as_array().unwrap().len(), 3);

    let counters = collector.ingest_counters();
    assert_eq!(counters.accepted(Receiver::OtlpHttp), 1);
    assert_eq!(counters.accepted(Receiver::Zipkin), 3);
    assert_eq!(counters.refused(Receiver::Zipkin, Refusal::Malformed), 1);
    tokio::time::timeout(Duration::from_secs(10), collector.shutdown())
        .await
        .unwrap();
}

/// A message whose field 1 (`resource_spans`, length-delimited) holds bytes that are not a
/// `ResourceSpans`, so the server's decoder fails.
#[derive(Clone, PartialEq, prost::Message)]
struct Garbage {
    #[prost(bytes = "vec", tag = "1")]
    field: Vec<u8>,
}

#[tokio::test]
async fn grpc_refusals_get_otlp_codes_and_are_counted() {
    use crate::pipeline::{Receiver, Refusal};

    let config = CollectorConfig {
        max_request_bytes: 1024,
        ..test_config()
    };
    let collector = start(config).await.unwrap();
    let endpoint = format!("http://{}", collector.otlp_grpc_addr());
    let channel = tonic::transport::Endpoint::from_shared(endpoint)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let big = || {
        request(
            "svc",
            vec![otlp_span(&[1; 16], &[1; 8], &[], &"x".repeat(4096))],
        )
    };

    let mut plain = TraceServiceClient::new(channel.clone());
    let status = plain.export(big()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        status.message(),
        "request body exceeds the limit of 1024 bytes"
    );

    // Compresses below the limit, expands past it.
    let mut gzip =
        TraceServiceClient::new(channel.clone()).send_compressed(CompressionEncoding::Gzip);
    let status = gzip.export(big()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");

    let mut raw = tonic::client::Grpc::new(channel);
    raw.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    );
    let garbage = Garbage {
        field: vec![0xff, 0xff, 0xff],
    };
    let status = raw
        .unary::<_, Garbage, _>(
            tonic::Request::new(garbage),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .starts_with("invalid OTLP/protobuf payload:"),
        "{status:?}"
    );

    let counters = collector.ingest_counters();
    assert_eq!(counters.refused(Receiver::OtlpGrpc, Refusal::TooLarge), 2);
    assert_eq!(counters.refused(Receiver::OtlpGrpc, Refusal::Malformed), 1);
    collector.shutdown().await;
}
