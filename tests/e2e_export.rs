//! Collector to collector as real processes: `meshtrace collector --export URL` sends every
//! accepted span on to a second collector, over OTLP/gRPC and over OTLP/HTTP.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;

async fn forwards_over(scheme: &str, listener: &str, trace: u8) {
    let backend = support::collector(&[]);
    let url = format!("{scheme}://{}", backend.addrs[listener]);
    let front = support::collector(&["--export", &url]);

    let endpoint = format!("http://{}", front.addrs["otlp-grpc"]);
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    client
        .export(support::otlp::request(trace, 3, Some("edge")))
        .await
        .unwrap();

    let hex = format!("{trace:02x}").repeat(16);
    let url = format!("http://{}/api/traces/{hex}", backend.addrs["http"]);
    let json = support::poll_json(&url, Duration::from_secs(15), |j| {
        j["data"][0]["spans"]
            .as_array()
            .is_some_and(|s| s.len() == 3)
    })
    .await;
    assert_eq!(json["data"][0]["processes"]["p1"]["serviceName"], "edge");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_forwards_to_collector_over_otlp_grpc() {
    forwards_over("grpc", "otlp-grpc", 0xa1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_forwards_to_collector_over_otlp_http() {
    forwards_over("http", "otlp-http", 0xa2).await;
}
