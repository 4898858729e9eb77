//! Runtime sampling control across real processes: `meshtrace sampling` changes a service's
//! strategy through the collector's control API (token required), the sidecar holding a
//! long-poll applies it, Jaeger's remote sampling endpoint serves it, and it survives a
//! collector restart with `--data-dir`.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const TOKEN: &str = "s3cret-token";

fn collector(data_dir: &str) -> support::Process {
    support::collector(&["--admin-token", TOKEN, "--data-dir", data_dir])
}

/// Runs `meshtrace sampling ARGS` against `http`; returns exit code, stdout, stderr.
fn sampling(http: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .arg("sampling")
        .args(args)
        .args(["--collector", http])
        .env_remove("MESHTRACE_ADMIN_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sampled(traceparent: &str) -> bool {
    let flags = traceparent.rsplit('-').next().unwrap();
    u8::from_str_radix(flags, 16).unwrap() & 1 == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_set_with_the_cli_reaches_the_sidecar_and_survives_a_restart() {
    let data_dir = std::env::temp_dir().join(format!("meshtrace-control-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let data = data_dir.to_str().unwrap();
    let first = collector(data);
    let http = format!("http://{}", first.addrs["http"]);

    let app = support::apps::traceparent_echo().await.to_string();
    let mut args = support::sidecar_args("checkout", &app, "grpc://127.0.0.1:9");
    args.extend(["--sampling-probability", "0", "--control", &http]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let entry = format!("http://{}/pay", sidecar.addrs["inbound"]);
    assert!(!sampled(&support::get(&entry, &[]).await.2));

    // Without the token: refused, one line, nothing changes.
    let (code, _, stderr) = sampling(
        &http,
        &["set", "--service", "checkout", "--probability", "1"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("401"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let (code, stdout, stderr) = sampling(
        &http,
        &[
            "--token",
            TOKEN,
            "--json",
            "set",
            "--service",
            "checkout",
            "--probability",
            "1",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let changed = Instant::now();
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(answer["service_strategy"]["param"], 1.0, "{stdout}");

    // The sidecar's next decisions follow (it holds a long-poll; no restart, no poll period).
    loop {
        if sampled(&support::get(&entry, &[]).await.2) {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(5),
            "the sidecar never applied the change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "strategy change applied by the sidecar after {:?}",
        changed.elapsed()
    );
    let view: Value = serde_json::from_str(
        &support::get(&format!("http://{}/sampling", sidecar.addrs["admin"]), &[])
            .await
            .2,
    )
    .unwrap();
    assert_eq!(view["source"], "remote");

    // Jaeger SDKs read the same strategy on the remote sampling port.
    let jaeger = format!(
        "http://{}/sampling?service=checkout",
        first.addrs["sampling-http"]
    );
    let (_, _, body) = support::get(&jaeger, &[]).await;
    let strategy: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(strategy["strategyType"], "PROBABILISTIC", "{body}");
    assert_eq!(
        strategy["probabilisticSampling"]["samplingRate"], 1.0,
        "{body}"
    );

    // Tail policies are replaced through the same API.
    let tail = data_dir.join("tail.yaml");
    std::fs::write(
        &tail,
        "policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]\n",
    )
    .unwrap();
    let (code, _, stderr) = sampling(
        &http,
        &[
            "--token",
            TOKEN,
            "tail",
            "apply",
            "-f",
            tail.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, stdout, _) = sampling(&http, &["tail", "get", "--json"]);
    let document: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["policies"][0]["name"], "errors", "{stdout}");

    // A restart with the same data dir keeps the change.
    drop(first);
    let second = collector(data);
    let (code, stdout, stderr) = sampling(
        &format!("http://{}", second.addrs["http"]),
        &["get", "--service", "checkout", "--json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let entry: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (entry["type"].as_str(), entry["param"].as_f64()),
        (Some("probabilistic"), Some(1.0)),
        "{stdout}"
    );

    // One operation's probability, shown as a table; then removed again.
    let http = format!("http://{}", second.addrs["http"]);
    let op = ["--service", "checkout", "--operation", "GET /pay"];
    let (code, _, stderr) = sampling(
        &http,
        &[
            &["--token", TOKEN, "set"][..],
            &op[..],
            &["--probability", "0.25"][..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, table, _) = sampling(&http, &["get", "--service", "checkout"]);
    assert!(
        table.contains("checkout") && table.contains("p = 1"),
        "{table}"
    );
    assert!(
        table.contains("GET /pay") && table.contains("p = 0.25"),
        "{table}"
    );
    let (code, _, stderr) = sampling(&http, &[&["--token", TOKEN, "unset"][..], &op[..]].concat());
    assert_eq!(code, 0, "{stderr}");
    let (_, table, _) = sampling(&http, &["get", "--service", "checkout"]);
    assert!(!table.contains("GET /pay"), "{table}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_sampling_lowers_a_busy_operation_toward_its_target() {
    let dir = std::env::temp_dir().join(format!("meshtrace-adaptive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("collector.yaml");
    // 5 sampled traces per second wanted from `shop`, recalculated every second.
    std::fs::write(
        &config,
        "adaptive: {services: {shop: 5.0}, interval_secs: 1, tuning: {initial_probability: 1.0}}\n",
    )
    .unwrap();
    let collector = support::collector(&["--config", config.to_str().unwrap()]);
    let http = format!("http://{}", collector.addrs["http"]);
    let otlp = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let app = support::apps::traceparent_echo().await.to_string();
    let mut args = support::sidecar_args("shop", &app, &otlp);
    args.extend(["--control", &http]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let entry = format!("http://{}/buy", sidecar.addrs["inbound"]);
    let admin = format!("http://{}/sampling", sidecar.addrs["admin"]);

    // About 100 requests per second, until the pushed probability for `GET /buy` falls below
    // 0.2 (5 of 100 wanted: it converges toward 0.05).
    let started = Instant::now();
    let probability = loop {
        for _ in 0..10 {
            support::get(&entry, &[]).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let view: Value = serde_json::from_str(&support::get(&admin, &[]).await.2).unwrap();
        let operations = &view["strategy"]["operationSampling"]["perOperationStrategies"];
        let p = operations
            .as_array()
            .and_then(|ops| ops.iter().find(|o| o["operation"] == "GET /buy"))
            .and_then(|o| o["probabilisticSampling"]["samplingRate"].as_f64());
        if let Some(p) = p.filter(|p| *p < 0.2) {
            assert_eq!(view["source"], "remote", "{view}");
            break p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no adaptive change reached the sidecar: {view}"
        );
    };
    eprintln!(
        "adaptive probability {probability} after {:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
