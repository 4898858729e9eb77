//! A tail policy change under load: traces stream in over OTLP/gRPC while the policy set is
//! replaced through the control API. Every request is accepted, traces decided well before
//! the change follow the old set (errors only), traces started well after it follow the new
//! one (everything), and the change takes no restart.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::Status;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

const ERRORS_ONLY: &str = "
decision_wait: 300ms
num_traces: 10000
policies:
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
";
const KEEP_ALL: &str = "{decision_wait: 300ms, num_traces: 10000, \
                        policies: [{name: everything, type: always_sample}]}";

/// Trace `n` (its id starts with `n`) as one request of two spans: every third failed.
fn trace(n: u16) -> (String, bool, ExportTraceServiceRequest) {
    let failed = n.is_multiple_of(3);
    let id: Vec<u8> = n.to_be_bytes().into_iter().chain([0x5a; 14]).collect();
    let mut request = support::otlp::request(0, 2, Some("loadgen"));
    for span in &mut request.resource_spans[0].scope_spans[0].spans {
        span.trace_id.clone_from(&id);
        if failed {
            span.status = Some(Status {
                code: StatusCode::Error as i32,
                ..Status::default()
            });
        }
    }
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    (hex, failed, request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_under_load_applies_to_later_traces_without_loss() {
    let dir = std::env::temp_dir().join(format!("meshtrace-tail-change-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policies = dir.join("tail.yaml");
    std::fs::write(&policies, ERRORS_ONLY).unwrap();
    let collector = support::collector(&["--tail-policies", policies.to_str().unwrap()]);
    let http = format!("http://{}", collector.addrs["http"]);
    let mut client =
        TraceServiceClient::connect(format!("http://{}", collector.addrs["otlp-grpc"]))
            .await
            .unwrap();

    // 3 s of traffic, one trace every 10 ms; the set is replaced after 1.5 s.
    let start = Instant::now();
    let mut sent: Vec<(String, bool, Duration)> = Vec::new();
    let mut changed_at = None;
    for n in 1..=300u16 {
        let (id, failed, request) = trace(n);
        let at = start.elapsed();
        client
            .export(request)
            .await
            .expect("every request accepted");
        sent.push((id, failed, at));
        if changed_at.is_none() && at >= Duration::from_millis(1500) {
            let (status, _, body) = support::send(
                http::Method::PUT,
                &format!("{http}/api/v1/sampling/tail"),
                &[],
                Bytes::from_static(KEEP_ALL.as_bytes()),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            changed_at = Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let changed_at = changed_at.unwrap();
    // Every trace is decided 300 ms after its first span; give the last ones time.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let margin = Duration::from_millis(700);
    let (mut before, mut after) = (0, 0);
    for (id, failed, at) in &sent {
        let (status, _, _) = support::get(&format!("{http}/api/traces/{id}"), &[]).await;
        let kept = status == 200;
        if *at + margin < changed_at {
            before += 1;
            assert_eq!(
                kept, *failed,
                "trace {id} sent before the change: errors only"
            );
        } else if *at > changed_at + margin {
            after += 1;
            assert!(kept, "trace {id} sent after the change: everything kept");
        }
    }
    assert!(before > 50 && after > 50, "{before} before, {after} after");
    let _ = std::fs::remove_dir_all(&dir);
}
