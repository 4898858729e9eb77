//! The on-disk trace store across real restarts: traces sent over OTLP/gRPC are found by id,
//! by service, by operation and by tag after a graceful stop (SIGTERM) and after a kill -9
//! once they were visible, with the store in `DATA_DIR/store` (`--data-dir`) or named by
//! `--store-dir`.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use serde_json::Value as Json;

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

/// One resource's spans of trace `trace` (hex from the byte), for `service`.
fn resource_spans(trace: u8, service: &str, spans: &[(u8, Option<u8>, &str)]) -> ResourceSpans {
    let start = 1_700_000_000_000_000_000u64 + u64::from(trace) * 1_000_000_000;
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![kv("service.name", service)],
            ..Resource::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans: spans
                .iter()
                .map(|&(id, parent, name)| Span {
                    trace_id: vec![trace; 16],
                    span_id: vec![id; 8],
                    parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
                    name: name.into(),
                    kind: 2,
                    start_time_unix_nano: start + u64::from(id) * 1_000_000,
                    end_time_unix_nano: start + u64::from(id) * 1_000_000 + 5_000_000,
                    attributes: vec![kv("customer", &format!("c{trace:x}"))],
                    ..Span::default()
                })
                .collect(),
            ..ScopeSpans::default()
        }],
        ..ResourceSpans::default()
    }
}

/// Sends a two-service trace: `frontend` calls `backend`.
async fn send_trace(otlp: SocketAddr, trace: u8) -> String {
    let mut client = TraceServiceClient::connect(format!("http://{otlp}"))
        .await
        .unwrap();
    let request = ExportTraceServiceRequest {
        resource_spans: vec![
            resource_spans(trace, "frontend", &[(1, None, "GET /checkout")]),
            resource_spans(trace, "backend", &[(2, Some(1), "charge")]),
        ],
    };
    client.export(request).await.unwrap();
    hex(trace)
}

fn hex(trace: u8) -> String {
    format!("{trace:02x}").repeat(16)
}

async fn json(url: &str) -> (u16, Json) {
    let (status, _, body) = support::get(url, &[]).await;
    (status, serde_json::from_str(&body).expect("JSON"))
}

/// Trace ids in a `/api/traces` answer, sorted.
fn trace_ids(answer: &Json) -> Vec<String> {
    let mut ids: Vec<String> = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["traceID"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_survive_a_graceful_restart_and_a_kill() {
    let data_dir = std::env::temp_dir().join(format!("meshtrace-e2e-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let data = data_dir.to_str().unwrap().to_owned();
    let store_dir = data_dir.join("store").to_str().unwrap().to_owned();

    // First run: the store lives under --data-dir; stopped with SIGTERM.
    let mut first = support::collector(&["--data-dir", &data]);
    let query = format!("http://{}", first.addrs["http"]);
    let a = send_trace(first.addrs["otlp-grpc"], 0xa1).await;
    let before = support::wait_for_trace(&query, &a).await;
    assert_eq!(before["data"][0]["spans"].as_array().unwrap().len(), 2);
    assert!(
        first.terminate(Duration::from_secs(20)),
        "the collector did not stop cleanly"
    );
    drop(first);
    assert!(
        data_dir.join("store").join("traces.redb").is_file(),
        "no database file under DATA_DIR/store"
    );

    // Second run on the same store, named by --store-dir: answers at once, no polling.
    let second = support::collector(&["--store-dir", &store_dir]);
    let query = format!("http://{}", second.addrs["http"]);
    let (status, after) = json(&format!("{query}/api/traces/{a}")).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["data"], before["data"]);
    let (_, services) = json(&format!("{query}/api/services")).await;
    assert_eq!(services["data"], serde_json::json!(["backend", "frontend"]));
    let (_, operations) = json(&format!("{query}/api/services/backend/operations")).await;
    assert_eq!(operations["data"], serde_json::json!(["charge"]));
    let (_, operations) = json(&format!(
        "{query}/api/operations?service=frontend&spanKind=server"
    ))
    .await;
    assert_eq!(
        operations["data"][0]["name"], "GET /checkout",
        "{operations}"
    );
    assert_eq!(operations["data"][0]["spanKind"], "server", "{operations}");
    let (_, found) = json(&format!("{query}/api/traces?service=frontend&limit=20")).await;
    assert_eq!(trace_ids(&found), [a.as_str()]);

    // A trace that became visible is on disk: a kill -9 does not lose it.
    let b = send_trace(second.addrs["otlp-grpc"], 0xb2).await;
    support::wait_for_trace(&query, &b).await;
    drop(second); // SIGKILL

    let mut third = support::collector(&["--data-dir", &data]);
    let query = format!("http://{}", third.addrs["http"]);
    let (status, answer) = json(&format!("{query}/api/traces/{b}")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"][0]["spans"].as_array().unwrap().len(), 2);
    let (_, found) = json(&format!("{query}/api/traces?service=backend&limit=20")).await;
    assert_eq!(trace_ids(&found), [a.as_str(), b.as_str()]);
    let (_, found) = json(&format!(
        "{query}/api/traces?service=backend&operation=charge&tags=%7B%22customer%22%3A%22cb2%22%7D"
    ))
    .await;
    assert_eq!(trace_ids(&found), [b.as_str()]);
    let (status, _) = json(&format!("{query}/api/traces/{}", hex(0xc3))).await;
    assert_eq!(status, 404);
    assert!(
        third.terminate(Duration::from_secs(20)),
        "the collector did not stop cleanly"
    );
    drop(third);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn a_store_dir_that_is_a_file_is_refused_at_start() {
    let file =
        std::env::temp_dir().join(format!("meshtrace-e2e-store-file-{}", std::process::id()));
    std::fs::write(&file, b"not a directory").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .arg("collector")
        .args(support::LOCAL_COLLECTOR)
        .args(["--store-dir", file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the collector started on a store dir that is a file");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(!status.success());
    assert!(stderr.contains("store.dir"), "{stderr}");
    assert!(stderr.contains("not a directory"), "{stderr}");
}
