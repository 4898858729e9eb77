//! The persistent export queue across real processes: a collector with `--data-dir` accepts
//! spans while its backend (a second collector) is down, is restarted (gracefully, or with
//! `kill -9` right after the sender got success), and every accepted span reaches the
//! backend once it is up, counted exactly. A torn record at the end of a segment is skipped
//! and counted.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;

/// Requests sent per test, and spans per request.
const REQUESTS: u8 = 20;
const SPANS_PER_REQUEST: u8 = 5;
const TOTAL: u64 = REQUESTS as u64 * SPANS_PER_REQUEST as u64;

/// A fresh directory for one test's `--data-dir`.
struct DataDir(PathBuf);

impl DataDir {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("meshtrace-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback address nothing listens on (yet), kept for a backend that is restarted on it.
fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], support::unused_port()))
}

/// A collector whose OTLP/gRPC receiver listens on `grpc`: the backend.
fn backend_on(grpc: SocketAddr) -> support::Process {
    let grpc = grpc.to_string();
    let mut args = vec!["collector", "--otlp-grpc", grpc.as_str()];
    args.extend(support::LOCAL_COLLECTOR[2..].iter().copied());
    support::start(&args, support::COLLECTOR_LISTENERS)
}

/// The collector under test: exports to `backend`, its queue persisted under `data`.
fn front(backend: SocketAddr, data: &DataDir) -> support::Process {
    let url = format!("grpc://{backend}");
    support::collector(&["--export", &url, "--data-dir", data.arg()])
}

/// Sends every request to `front` and requires success for each.
async fn send_all(front: &support::Process) {
    let endpoint = format!("http://{}", front.addrs["otlp-grpc"]);
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    for trace in 1..=REQUESTS {
        client
            .export(support::otlp::request(trace, SPANS_PER_REQUEST, None))
            .await
            .unwrap();
    }
}

/// Waits (at most 30 s) until the backend has accepted `TOTAL` spans, then checks the count
/// stays exact (no duplicates arrive late).
async fn backend_gets_everything_once(backend: &support::Process) {
    let accepted = || {
        support::metric(
            backend,
            "meshtrace_receiver_accepted_spans_total",
            r#"receiver="otlp_grpc""#,
        )
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = accepted().await;
    while got < TOTAL as f64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        got = accepted().await;
    }
    assert_eq!(got, TOTAL as f64, "spans the backend accepted");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(accepted().await, TOTAL as f64, "late duplicates");
}

fn queue_dir(data: &DataDir, backend: SocketAddr) -> PathBuf {
    let name: String = format!("grpc://{backend}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    data.0.join("queue").join(name)
}

fn last_segment(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .max()
        .expect("a segment file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_survive_backend_outage_and_graceful_restart() {
    let data = DataDir::new("persist-graceful");
    let backend_addr = free_addr();
    let mut first = front(backend_addr, &data);
    send_all(&first).await;
    assert!(first.terminate(Duration::from_secs(20)), "graceful stop");

    let backend = backend_on(backend_addr);
    let second = front(backend_addr, &data);
    backend_gets_everything_once(&backend).await;
    let exporter = format!(r#"exporter="grpc://{backend_addr}""#);
    let sent = support::metric(&second, "meshtrace_exporter_sent_spans_total", &exporter).await;
    assert_eq!(
        sent, TOTAL as f64,
        "the restarted collector sent what the first accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_survive_kill_9_right_after_success() {
    let data = DataDir::new("persist-kill");
    let backend_addr = free_addr();
    let first = front(backend_addr, &data);
    send_all(&first).await;
    // Dropping the process is SIGKILL: no shutdown, no flush.
    drop(first);

    let backend = backend_on(backend_addr);
    let _second = front(backend_addr, &data);
    backend_gets_everything_once(&backend).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_spans_survive_kill_9_right_after_success() {
    let data = DataDir::new("persist-passthrough");
    let backend_addr = free_addr();
    let url = format!("grpc://{backend_addr}");
    let args = ["--passthrough", "--export", &url, "--data-dir", data.arg()];
    // The received requests go to the disk queue as they are, before success is answered.
    let first = support::collector(&args);
    send_all(&first).await;
    drop(first);

    let backend = backend_on(backend_addr);
    let _second = support::collector(&args);
    backend_gets_everything_once(&backend).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_record_is_skipped_and_counted() {
    let data = DataDir::new("persist-torn");
    let backend_addr = free_addr();
    let first = front(backend_addr, &data);
    send_all(&first).await;
    drop(first);
    // What a kill in the middle of a write leaves: a frame promising 1000 bytes, 6 of them.
    let segment = last_segment(&queue_dir(&data, backend_addr));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&segment)
        .unwrap();
    file.write_all(&1000u32.to_le_bytes()).unwrap();
    file.write_all(&[0xab; 10]).unwrap();
    drop(file);

    let backend = backend_on(backend_addr);
    let second = front(backend_addr, &data);
    backend_gets_everything_once(&backend).await;
    let exporter = format!(r#"exporter="grpc://{backend_addr}""#);
    let corrupt = support::metric(
        &second,
        "meshtrace_exporter_queue_corrupt_records_total",
        &exporter,
    )
    .await;
    assert_eq!(corrupt, 1.0, "the torn record is counted");
}

/// Keeps every trace, deciding `wait` after its first span.
fn keep_all_policies(data: &DataDir, wait: &str) -> String {
    let path = data.0.join("policies.yaml");
    let policies = format!(
        "decision_wait: {wait}\npolicies:\n  - name: all\n    type: span_count\n    span_count: {{min_spans: 1}}\n"
    );
    std::fs::write(&path, policies).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_waiting_for_a_tail_decision_survive_kill_9() {
    let data = DataDir::new("persist-journal");
    let backend_addr = free_addr();
    let url = format!("grpc://{backend_addr}");
    // Decisions 60 s away: the kill comes while every span is still buffered in memory.
    let policies = keep_all_policies(&data, "60s");
    let first = support::collector(&[
        "--export",
        &url,
        "--data-dir",
        data.arg(),
        "--tail-policies",
        &policies,
    ]);
    send_all(&first).await;
    drop(first);

    let backend = backend_on(backend_addr);
    let policies = keep_all_policies(&data, "1s");
    let _second = support::collector(&[
        "--export",
        &url,
        "--data-dir",
        data.arg(),
        "--tail-policies",
        &policies,
    ]);
    backend_gets_everything_once(&backend).await;
    // Decided and handed to the export queue: the journal has nothing left to replay.
    let journal = data.0.join("journal");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&journal).unwrap().count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        std::fs::read_dir(&journal).unwrap().count(),
        0,
        "journal truncated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_delivering_loses_nothing_and_may_repeat() {
    let data = DataDir::new("persist-flowing");
    let backend_addr = free_addr();
    let backend = backend_on(backend_addr);
    let first = front(backend_addr, &data);
    send_all(&first).await;
    // Killed while batches may be in flight or sent but not yet acknowledged.
    drop(first);
    let _second = front(backend_addr, &data);
    let accepted = || {
        support::metric(
            &backend,
            "meshtrace_receiver_accepted_spans_total",
            r#"receiver="otlp_grpc""#,
        )
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while accepted().await < TOTAL as f64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // At least once: everything arrives, some batches perhaps twice.
    assert!(accepted().await >= TOTAL as f64);
    let query = format!("http://{}", backend.addrs["http"]);
    for trace in 1..=REQUESTS {
        let json = support::wait_for_trace(&query, &format!("{trace:02x}").repeat(16)).await;
        let spans = json["data"][0]["spans"].as_array().map_or(0, Vec::len);
        assert!(
            spans >= usize::from(SPANS_PER_REQUEST),
            "trace {trace}: {spans} spans"
        );
    }
}
