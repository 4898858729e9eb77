//! Tail sampling end to end: traces with known properties sent by an independent OTLP client
//! (the OpenTelemetry Python SDK, over gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON, each through the
//! SDK's own exporter) to the real collector binary with a
//! policy file; exactly the traces the policies name are kept, each saying why.
//!
//! Needs `python3` with `opentelemetry-sdk` and the OTLP exporters (`.ci/run` installs them);
//! skipped with a message without them, unless `MESHTRACE_REQUIRE_PYTHON_OTEL=1` (set by
//! `.ci/run`) makes that a failure.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

const REQUIRE_ENV: &str = "MESHTRACE_REQUIRE_PYTHON_OTEL";
const POLICIES: &str = "
decision_wait: 1s
decision_wait_after_root_received: 300ms
num_traces: 1000
policies:
  - name: errors
    type: status_code
    status_code: {status_codes: [ERROR]}
  - name: slow
    type: latency
    latency: {threshold_ms: 500}
  - name: vip-customers
    type: string_attribute
    string_attribute: {key: customer.tier, values: [vip, gold]}
";

fn python_otel_missing() -> Option<String> {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, \
             opentelemetry.exporter.otlp.proto.http, opentelemetry.exporter.otlp.json.http",
        ])
        .output();
    match probe {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_owned(),
        ),
        Err(e) => Some(format!("python3: {e}")),
    }
}

fn send_known_traces(endpoint: &str, protocol: &str) -> BTreeMap<String, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/known_traces.py");
    let out = Command::new("python3")
        .args([script, endpoint, protocol])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn policy_tag(trace: &Value) -> Vec<String> {
    let mut policies: Vec<String> = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            s["tags"]
                .as_array()?
                .iter()
                .find(|t| t["key"] == "sampling.policy")
        })
        .map(|t| t["value"].as_str().unwrap().to_owned())
        .collect();
    policies.dedup();
    policies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_the_traces_the_policies_name_are_kept() {
    if let Some(why) = python_otel_missing() {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but: {why}"
        );
        eprintln!("SKIPPED exactly_the_traces_the_policies_name_are_kept: {why}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("meshtrace-tail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policies = dir.join("tail.yaml");
    std::fs::write(&policies, POLICIES).unwrap();
    let collector = support::collector(&["--tail-policies", policies.to_str().unwrap()]);
    let query = format!("http://{}", collector.addrs["http"]);
    let grpc = send_known_traces(&collector.addrs["otlp-grpc"].to_string(), "grpc");
    let http_base = format!("http://{}", collector.addrs["otlp-http"]);
    let http = send_known_traces(&http_base, "http");
    let json = send_known_traces(&http_base, "json");

    let sent_at = std::time::Instant::now();
    let kept = [
        ("failing", "errors"),
        ("slow", "slow"),
        ("vip", "vip-customers"),
    ];
    for sent in [&grpc, &http, &json] {
        for (name, policy) in kept {
            let url = format!("{query}/api/traces/{}", sent[name]);
            let answer = support::poll_json(&url, Duration::from_secs(15), |j| {
                j["data"][0]["spans"]
                    .as_array()
                    .is_some_and(|s| s.len() == 2)
            })
            .await;
            assert_eq!(
                policy_tag(&answer["data"][0]),
                vec![policy.to_owned()],
                "{name}"
            );
        }
    }
    // Once decision_wait (1 s) and a drain tick have passed, every trace is decided: one that
    // is not in the store was dropped.
    let decided = Duration::from_millis(1500);
    tokio::time::sleep(decided.saturating_sub(sent_at.elapsed())).await;
    for sent in [&grpc, &http, &json] {
        for name in ["plain", "plain-too"] {
            let (status, _, body) =
                support::get(&format!("{query}/api/traces/{}", sent[name]), &[]).await;
            assert_eq!(status, 404, "{name} should have been dropped: {body}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
