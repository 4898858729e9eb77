//! Collector A exporting to collector B, both real, over OTLP/gRPC and OTLP/HTTP.

use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::pipeline::Receiver;
use crate::server::{RunningCollector, start};
use crate::test_support::{local_config, otlp_span, request, wait_until};
use crate::{CollectorConfig, ExportSnapshot};

/// A collector exporting to `urls`.
async fn exporting_to(urls: Vec<String>) -> RunningCollector {
    start(CollectorConfig {
        exporters: urls.into_iter().map(Into::into).collect(),
        ..local_config()
    })
    .await
    .unwrap()
}

/// Sends `spans` spans of one trace to `collector` over OTLP/gRPC.
async fn send_grpc(collector: &RunningCollector, trace: u8, spans: u8) {
    let endpoint = format!("http://{}", collector.otlp_grpc_addr());
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    let spans = (1..=spans)
        .map(|s| otlp_span(&[trace; 16], &[s; 8], &[], &format!("op-{s}")))
        .collect();
    let response = client.export(request("frontend", spans)).await.unwrap();
    assert_eq!(response.into_inner().partial_success, None);
}

fn snapshot(collector: &RunningCollector) -> ExportSnapshot {
    collector.export_counters()[0].1.snapshot()
}

async fn shutdown(collector: RunningCollector) {
    tokio::time::timeout(Duration::from_secs(15), collector.shutdown())
        .await
        .unwrap();
}

/// A → B over `scheme`, checking B's store and both sides' counters.
async fn a_to_b(scheme: &str, b_addr: impl Fn(&RunningCollector) -> SocketAddr, via: Receiver) {
    let b = start(local_config()).await.unwrap();
    let a = exporting_to(vec![format!("{scheme}://{}", b_addr(&b))]).await;
    send_grpc(&a, 0x41, 3).await;
    send_grpc(&a, 0x42, 2).await;

    let store = b.store();
    wait_until("B stores 5 spans", || store.stats().spans == 5).await;
    let trace = store.get_trace(&[0x41; 16]).unwrap();
    assert_eq!(trace.spans.len(), 3);
    assert_eq!(&*trace.spans[0].service, "frontend");
    wait_until("A counts 5 sent", || snapshot(&a).sent == 5).await;
    let counters = snapshot(&a);
    assert_eq!(
        (counters.failed, counters.dropped, counters.queued),
        (0, 0, 0)
    );
    assert_eq!(b.ingest_counters().accepted(via), 5);
    shutdown(a).await;
    shutdown(b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_exports_to_collector_over_grpc() {
    a_to_b("grpc", RunningCollector::otlp_grpc_addr, Receiver::OtlpGrpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_exports_to_collector_over_http() {
    a_to_b("http", RunningCollector::otlp_http_addr, Receiver::OtlpHttp).await;
}

/// A port nothing listens on now, free for a backend started later.
fn reserve_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A exports to a port where B starts only after A's first attempt failed.
async fn late_backend(scheme: &str, place: impl Fn(&mut CollectorConfig, SocketAddr)) {
    let addr = reserve_port();
    let a = exporting_to(vec![format!("{scheme}://{addr}")]).await;
    send_grpc(&a, 0x51, 4).await;
    wait_until("A has retried", || snapshot(&a).retried >= 1).await;
    assert_eq!(snapshot(&a).sent, 0);
    assert_eq!(
        snapshot(&a).queued,
        4,
        "spans wait in the queue while B is down"
    );

    let mut config = local_config();
    place(&mut config, addr);
    let b = start(config).await.unwrap();
    let store = b.store();
    wait_until("late B stores 4 spans", || store.stats().spans == 4).await;
    wait_until("A counts 4 sent", || snapshot(&a).sent == 4).await;
    let counters = snapshot(&a);
    assert!(counters.retried >= 1, "{counters:?}");
    assert_eq!(
        (counters.failed, counters.dropped, counters.queued),
        (0, 0, 0)
    );
    shutdown(a).await;
    shutdown(b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_backend_that_starts_late_gets_everything() {
    late_backend("grpc", |config, addr| config.otlp_grpc = addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_backend_that_starts_late_gets_everything() {
    late_backend("http", |config, addr| config.otlp_http = addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zipkin_spans_are_exported_as_otlp() {
    let b = start(local_config()).await.unwrap();
    let a = exporting_to(vec![format!("grpc://{}", b.otlp_grpc_addr())]).await;
    let zipkin = include_bytes!("../../../tests/fixtures/zipkin_envoy_v2.json");
    let mut stream = TcpStream::connect(a.zipkin_addr()).await.unwrap();
    let head = format!(
        "POST /api/v2/spans HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        zipkin.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(zipkin).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");

    let (a_store, b_store) = (a.store(), b.store());
    wait_until("B stores A's 3 Zipkin spans", || b_store.stats().spans == 3).await;
    let trace_id = crate::parse_trace_id("5af7183fb1d4cf5f").unwrap();
    let mut there = b_store.get_trace(&trace_id).unwrap().spans;
    let mut here = a_store.get_trace(&trace_id).unwrap().spans;
    there.sort_by_key(|s| s.span_id);
    here.sort_by_key(|s| s.span_id);
    assert_eq!(there, here, "B holds exactly what A holds");
    shutdown(a).await;
    shutdown(b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_what_is_queued() {
    let b = start(local_config()).await.unwrap();
    let a = exporting_to(vec![format!("http://{}", b.otlp_http_addr())]).await;
    send_grpc(&a, 0x61, 5).await;
    // No wait: the batch timer has not fired, shutdown must send the spans anyway.
    let counters = a.export_counters()[0].1.clone();
    shutdown(a).await;
    assert_eq!(counters.snapshot().sent, 5);
    // B answered once the spans were in its pipeline; its drain stores them a moment later.
    let b_store = b.store();
    wait_until("B stores the 5 flushed spans", || {
        b_store.stats().spans == 5
    })
    .await;
    shutdown(b).await;
}
