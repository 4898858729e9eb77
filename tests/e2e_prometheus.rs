//! The dashboards and recording rules against a real Prometheus (Debian's package) scraping a
//! collector fed by the demo's mesh: every dashboard query and every recording rule returns
//! data, and `promtool check rules` accepts the rules. (Alert conditions are thresholds that
//! only return data while firing: `promtool` and the names test in the collector check them.)
//!
//! Skipped with a message without `prometheus`/`promtool`, unless
//! `MESHTRACE_REQUIRE_PROMETHEUS=1` (set by `.ci/run`) makes that a failure.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const REQUIRE_ENV: &str = "MESHTRACE_REQUIRE_PROMETHEUS";
const DASHBOARDS: &[&str] = &["mesh-overview.json", "service.json", "pipeline.json"];

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `expr` in a Grafana dashboard, with its variables set to real values.
fn dashboard_queries(file: &str) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("expr", Value::String(expr)) => out.push(expr.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(root().join("dashboards/grafana").join(file)).unwrap();
    let mut out = Vec::new();
    walk(&serde_json::from_str(&text).unwrap(), &mut out);
    out.iter()
        .map(|e| {
            e.replace("$__rate_interval", "1m")
                .replace("$service", "productpage")
                .replace("$span_kind", "server")
        })
        .collect()
}

/// Every recording rule's expression, with the recording rules it uses written out (this
/// Prometheus does not evaluate the rules, so their series do not exist).
fn recording_rules() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("dashboards/prometheus/rules.yml")).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut rules: Vec<(String, String)> = Vec::new();
    for group in doc["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            if let Some(record) = rule["record"].as_str() {
                rules.push((record.to_owned(), rule["expr"].as_str().unwrap().to_owned()));
            }
        }
    }
    let mut by_length = rules.clone();
    by_length.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    rules
        .into_iter()
        .map(|(_, mut expr)| {
            for (name, definition) in &by_length {
                expr = expr.replace(name.as_str(), &format!("({definition})"));
            }
            expr
        })
        .collect()
}

async fn query(prometheus: &str, expr: &str) -> Value {
    let encoded: String =
        percent_encoding::utf8_percent_encode(expr, percent_encoding::NON_ALPHANUMERIC).collect();
    let (status, _, body) =
        support::get(&format!("{prometheus}/api/v1/query?query={encoded}"), &[]).await;
    assert_eq!(status, 200, "{expr}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn has_data(answer: &Value) -> bool {
    answer["data"]["result"]
        .as_array()
        .is_some_and(|r| !r.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_and_recording_rule_returns_data() {
    let tools = ["prometheus", "promtool"].iter().all(|t| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !tools {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but prometheus/promtool are missing"
        );
        eprintln!(
            "SKIPPED every_dashboard_query_and_recording_rule_returns_data: no prometheus/promtool"
        );
        return;
    }
    let rules = root().join("dashboards/prometheus/rules.yml");
    let check = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // A backend collector, so the exporter series exist too; the demo's mesh feeds traffic.
    let backend = support::collector(&[]);
    let export = format!("grpc://{}", backend.addrs["otlp-grpc"]);
    let demo = support::start(
        &[
            "demo",
            "--duration",
            "120s",
            "--rps",
            "40",
            "--http",
            "127.0.0.1:0",
            "--export",
            &export,
        ],
        1,
    );
    let target = demo.addrs["http"];

    let dir = std::env::temp_dir().join(format!("meshtrace-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = support::unused_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             scrape_configs:\n  - job_name: meshtrace\n    static_configs: [{{targets: ['{target}']}}]\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let prometheus = format!("http://127.0.0.1:{port}");

    // Wait for a few scrapes with traffic in them (rates need two samples).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = support::try_get(&format!("{prometheus}/-/ready"))
            .await
            .is_some_and(|(s, _)| s == 200);
        if ready && has_data(&query(&prometheus, "rate(meshtrace_requests_total[1m]) > 0").await) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never scraped traffic from {target}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut empty = Vec::new();
    let mut checked = 0;
    let queries = DASHBOARDS
        .iter()
        .flat_map(|d| dashboard_queries(d))
        .chain(recording_rules());
    for expr in queries {
        checked += 1;
        if !has_data(&query(&prometheus, &expr).await) {
            empty.push(expr);
        }
    }
    assert!(checked > 40, "only {checked} queries found");
    assert!(
        empty.is_empty(),
        "queries without data ({} of {checked}):\n{}",
        empty.len(),
        empty.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
