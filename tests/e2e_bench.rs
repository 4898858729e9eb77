//! `meshtrace bench collector` against its own collector child (default pipeline and
//! `--passthrough`) and against a collector it did not start (`--target` with `--sink` and
//! `--target-pid`): the report adds up.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

#[test]
fn bench_collector_report_is_consistent() {
    report_is_consistent(&[], "spawned", Some("default"));
}

#[test]
fn bench_collector_passthrough_report_is_consistent() {
    report_is_consistent(&["--passthrough"], "spawned", Some("passthrough"));
}

#[test]
fn bench_measures_a_collector_it_did_not_start_through_its_sink() {
    let sink = support::unused_port();
    let export = format!("grpc://127.0.0.1:{sink}");
    let collector = support::collector(&["--passthrough", "--export", &export]);
    let target = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let (sink, pid) = (format!("127.0.0.1:{sink}"), collector.pid().to_string());
    let extra = ["--target", &target, "--sink", &sink, "--target-pid", &pid];
    report_is_consistent(&extra, &target, None);
}

/// Runs a 2 s bench at 2,000 spans/s with `extra` flags and checks its report adds up; the
/// exporter's counters are read only from a collector the bench started (`pipeline`).
fn report_is_consistent(extra: &[&str], target: &str, pipeline: Option<&str>) {
    let output = Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .args([
            "bench",
            "collector",
            "--duration",
            "2s",
            "--rate",
            "2000",
            "--json",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run meshtrace bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("report is not JSON ({e}): {stderr}"));
    let count = |key: &str| {
        report[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} missing in {report}"))
    };
    let figure = |key: &str| {
        report[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {report}"))
    };

    let accepted = count("spans_accepted");
    assert!(accepted > 0, "{report}");
    assert_eq!(count("spans_received"), accepted, "{report}");
    assert_eq!(
        count("spans_sent"),
        count("requests") * count("batch"),
        "{report}"
    );
    assert!(count("spans_sent") >= accepted, "{report}");
    assert_eq!(count("failed"), 0, "{report}");
    assert_eq!(report["target"], target);
    assert_eq!(report["pipeline"].as_str(), pipeline);
    if pipeline.is_some() {
        assert_eq!(count("collector_export_dropped"), 0, "{report}");
        assert_eq!(count("collector_export_failed"), 0, "{report}");
    } else {
        assert!(report["collector_export_dropped"].is_null(), "{report}");
    }
    assert_eq!(count("rate"), 2000);
    assert!(figure("collector_cpu_secs") > 0.0, "{report}");
    assert!(figure("spans_per_cpu_sec") > 0.0, "{report}");
    assert!(count("collector_peak_rss_bytes") > 0, "{report}");
    assert!(figure("spans_per_sec") > 0.0, "{report}");
}

#[test]
fn an_unreachable_target_is_one_clear_line() {
    let port = support::unused_port();
    let target = format!("grpc://127.0.0.1:{port}");
    let output = Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .args([
            "bench",
            "collector",
            "--duration",
            "1s",
            "--target",
            &target,
        ])
        .output()
        .expect("run meshtrace bench");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unreachable"), "{stderr}");
    assert!(stderr.contains(&target), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
