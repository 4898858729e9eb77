//! The built-in web page in a real browser (Debian's headless `chromium`) against the demo's
//! collector: the overview renders every service with numbers, the operations chart, the
//! service graph and the sampling policies; `/trace/{id}` renders the waterfall of a real trace
//! and a span's details. Screenshots of both pages go to `target/ui-screenshots/` (kept by CI).
//!
//! Skipped with a message without `chromium`, unless `MESHTRACE_REQUIRE_CHROMIUM=1` (set by
//! `.ci/run`) makes that a failure.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const REQUIRE_ENV: &str = "MESHTRACE_REQUIRE_CHROMIUM";
const CHROMIUM: &str = "chromium";
const SERVICES: &[&str] = &["productpage", "details", "reviews", "ratings"];

fn chromium_available() -> bool {
    Command::new(CHROMIUM)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs headless chromium on `url` with `extra` flags (a fresh profile each time) and returns
/// its stdout; killed after 60 s.
fn chromium(url: &str, extra: &[String]) -> String {
    let profile = std::env::temp_dir().join(format!(
        "meshtrace-chromium-{}-{}",
        std::process::id(),
        next_profile()
    ));
    let out = std::env::temp_dir().join(format!("{}.out", profile.display()));
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stdout = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_file(&out);
    stdout
}

/// A per-call number so no two runs share a profile directory.
fn next_profile() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn dump_dom(url: &str) -> String {
    chromium(url, &["--dump-dom".to_owned()])
}

fn screenshot(url: &str, file: &Path) {
    let _ = std::fs::remove_file(file);
    chromium(
        url,
        &[
            format!("--screenshot={}", file.display()),
            "--window-size=1280,900".to_owned(),
        ],
    );
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    // A blank 1280x900 PNG is a few KiB; a rendered page is tens of KiB.
    assert!(size > 20_000, "{} is {size} bytes", file.display());
}

/// How text appears in serialized HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `<tr>` of the services table for `service`.
fn service_row<'a>(dom: &'a str, service: &str) -> &'a str {
    let marker = format!("data-service=\"{service}\"");
    let start = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {service} in the page"));
    let end = dom[start..].find("</tr>").unwrap() + start;
    &dom[start..end]
}

/// The rate shown in a services row (`12.3 req/s`).
fn row_rate(row: &str) -> f64 {
    let end = row.find(" req/s").expect("a rate cell");
    let start = row[..end].rfind('>').unwrap() + 1;
    row[start..end].parse().unwrap()
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_renders_services_graph_sampling_and_a_trace() {
    if !chromium_available() {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but {CHROMIUM} is missing"
        );
        eprintln!("SKIPPED page_renders_services_graph_sampling_and_a_trace: no {CHROMIUM}");
        return;
    }
    let demo = support::start(
        &[
            "demo",
            "--duration",
            "60s",
            "--rps",
            "30",
            "--http",
            "127.0.0.1:0",
        ],
        1,
    );
    let base = format!("http://{}", demo.addrs["http"]);
    // Traces through every service, and a few seconds of rates.
    let found = support::poll_json(
        &format!("{base}/api/traces?service=productpage&limit=1"),
        Duration::from_secs(30),
        |j| j["data"].as_array().is_some_and(|d| !d.is_empty()),
    )
    .await;
    support::poll_json(
        &format!("{base}/api/services"),
        Duration::from_secs(30),
        |j| {
            SERVICES
                .iter()
                .all(|s| j["data"].as_array().unwrap().contains(&Value::from(*s)))
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let dom = dump_dom(&format!("{base}/"));
    assert!(
        dom.contains("id=\"error\" class=\"error\" hidden"),
        "page shows an error: {dom}"
    );
    for service in SERVICES {
        let row = service_row(&dom, service);
        assert!(row_rate(row) > 0.0, "{service}: {row}");
        assert!(row.contains('%'), "{service} has no error %: {row}");
        assert!(
            row.contains(" ms") || row.contains(" µs"),
            "{service} has no percentiles: {row}"
        );
    }
    // The operations chart (of the busiest service), the graph and the tail policies.
    assert!(
        dom.contains("GET /productpage"),
        "no operations chart: {dom}"
    );
    assert!(dom.contains(" calls</text>"), "no service graph: {dom}");
    // The control that changes a service's probability (through the control API), offering
    // the services the collector knows.
    assert!(
        dom.contains("id=\"set-form\""),
        "no sampling control: {dom}"
    );
    assert!(
        dom.contains("<option value=\"productpage\">"),
        "no service choices: {dom}"
    );
    let (_, _, tail) = support::get(&format!("{base}/api/v1/sampling/tail"), &[]).await;
    let tail: Value = serde_json::from_str(&tail).unwrap();
    for policy in tail["policies"].as_array().unwrap() {
        let name = policy["name"].as_str().unwrap();
        assert!(
            dom.contains(&format!("<td>{}</td>", escaped(name))),
            "policy {name}"
        );
    }
    assert!(dom.contains("href=\"/trace/"), "no search results: {dom}");

    let trace = &found["data"][0];
    let trace_id = trace["traceID"].as_str().unwrap();
    let spans = trace["spans"].as_array().unwrap();
    let root = spans
        .iter()
        .find(|s| s["references"].as_array().is_none_or(|r| r.is_empty()))
        .unwrap_or(&spans[0]);
    let span_id = root["spanID"].as_str().unwrap();
    let trace_url = format!("{base}/trace/{trace_id}#span-{span_id}");
    let dom = dump_dom(&trace_url);
    assert!(
        dom.contains("id=\"error\" class=\"error\" hidden"),
        "trace page error: {dom}"
    );
    for span in spans {
        let name = span["operationName"].as_str().unwrap();
        assert!(dom.contains(&escaped(name)), "span {name} missing");
        let service = trace["processes"][span["processID"].as_str().unwrap()]["serviceName"]
            .as_str()
            .unwrap();
        assert!(
            dom.contains(&format!(
                "<span class=\"wf-service\">{}</span>",
                escaped(service)
            )),
            "service {service} missing"
        );
    }
    assert_eq!(
        dom.matches("class=\"wf-row\"").count() + dom.matches("class=\"wf-row selected\"").count(),
        spans.len()
    );
    // The span named in the URL is open: its attributes and why it was kept.
    assert!(dom.contains("Sampling reason"), "no span details: {dom}");
    if let Some(policy) = root["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "sampling.policy")
    {
        let policy = policy["value"].as_str().unwrap();
        assert!(dom.contains(&format!("kept by tail policy \"{}\"", escaped(policy))));
    }

    let dir = screenshots_dir();
    screenshot(&format!("{base}/"), &dir.join("overview.png"));
    screenshot(&trace_url, &dir.join("trace.png"));
}
