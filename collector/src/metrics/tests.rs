//! Exposition and API tests: every line well formed, histograms cumulative, label values
//! escaped, the handlers answering in-process, and every dashboard/rule query using only
//! names the collector emits.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as SpanStatusCode;
use tokio::time::Instant;
use tower::ServiceExt;

use super::*;
use crate::aggregate::{AdjustedCount, AggregateConfig, Aggregator};
use crate::pipeline::{IngestCounters, Receiver};
use crate::store::{SpanStatus, StoredSpan};

fn span(
    service: &str,
    name: &str,
    kind: SpanKind,
    micros: u64,
    id: u8,
    parent: Option<u8>,
) -> StoredSpan {
    StoredSpan {
        trace_id: [3; 16],
        span_id: [id; 8],
        parent_span_id: parent.map(|p| [p; 8]),
        trace_state: String::new(),
        name: name.to_owned(),
        kind,
        start_unix_nano: 1_000_000_000,
        end_unix_nano: 1_000_000_000 + micros * 1000,
        service: Arc::from(service),
        resource: Arc::from(Vec::new()),
        attributes: Vec::new(),
        status: SpanStatus::default(),
        events: Vec::new(),
    }
}

fn fed() -> (Arc<Aggregator>, Instant) {
    let start = Instant::now();
    let a = Arc::new(Aggregator::new(&AggregateConfig::default(), start).unwrap());
    let weight = AdjustedCount::new(10.0);
    for (i, micros) in [200u64, 800, 3_000, 40_000, 2_000_000, 90_000_000]
        .into_iter()
        .enumerate()
    {
        let s = span(
            "checkout",
            "POST /pay",
            SpanKind::Server,
            micros,
            50 + i as u8,
            Some(1),
        );
        a.observe_weighted(&s, weight, start);
    }
    let mut bad = span("we\"ird\\svc\n", "op", SpanKind::Internal, 10, 60, None);
    bad.status.code = SpanStatusCode::Error;
    a.observe_weighted(&bad, AdjustedCount::ONE, start);
    a.observe_weighted(
        &span("web", "GET /", SpanKind::Client, 5_000, 1, None),
        weight,
        start,
    );
    (a, start)
}

fn pipeline() -> PipelineSnapshot {
    let ingest = IngestCounters::default();
    ingest.add_accepted(Receiver::OtlpGrpc, 7);
    PipelineSnapshot {
        receivers: ingest.samples(),
        exporters: vec![(
            "http://backend:4317".to_owned(),
            crate::export::ExportSnapshot::default(),
        )],
        store: Some(StoreGauges::default()),
        tail: Some(TailGauges {
            kept_by_policy: vec![("errors".to_owned(), 3)],
            ..TailGauges::default()
        }),
    }
}

/// `(name, labels, value)` of every sample line; panics on a malformed line.
fn parse(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    assert!(text.ends_with("# EOF\n"), "no EOF marker");
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("# HELP ")
            || line.starts_with("# TYPE ")
            || line.starts_with("# UNIT ")
            || line == "# EOF"
        {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => (
                name,
                parse_labels(
                    rest.strip_suffix('}')
                        .unwrap_or_else(|| panic!("unclosed {{ in {line}")),
                ),
            ),
        };
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name in {line}"
        );
        out.push((name.to_owned(), labels, value));
    }
    out
}

fn parse_labels(mut rest: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad labels {rest}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?} in {rest}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => {
                    assert!(c != '\n', "raw newline in label");
                    value.push(c);
                }
                None => panic!("unterminated label value in {rest}"),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after.get(end + 1..).unwrap_or("");
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    labels
}

#[test]
fn every_line_is_well_formed_and_histograms_are_cumulative() {
    let (a, start) = fed();
    let text = render(&a, &pipeline(), start).unwrap();
    let samples = parse(&text);
    let emitted: BTreeSet<String> = names::sample_names().into_iter().collect();
    for (name, _, _) in &samples {
        assert!(emitted.contains(name), "{name} is not in the names module");
    }
    let value = |name: &str, want: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && want
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .unwrap_or_else(|| panic!("no {name} {want:?} in\n{text}"))
            .2
    };
    let series = [
        ("service", "checkout"),
        ("operation", "POST /pay"),
        ("span_kind", "server"),
        ("status_class", "ok"),
    ];
    assert_eq!(value(names::REQUESTS, &series), 60.0);
    assert_eq!(value(names::REQUEST_ERRORS, &series), 0.0);
    assert_eq!(
        value("meshtrace_span_duration_seconds_count", &series),
        60.0
    );
    let weird = [("service", "we\"ird\\svc\n"), ("status_class", "error")];
    assert_eq!(value(names::REQUEST_ERRORS, &weird), 1.0);
    assert_eq!(
        value(
            names::GRAPH_REQUESTS,
            &[("client", "web"), ("server", "checkout")]
        ),
        10.0
    );
    assert_eq!(
        value(
            "meshtrace_receiver_accepted_spans_total",
            &[("receiver", "otlp_grpc")]
        ),
        7.0
    );
    assert_eq!(value(names::AGGREGATE_SERIES, &[]), 3.0);
    assert_eq!(value(names::TAIL_KEPT, &[("policy", "errors")]), 3.0);
    assert_eq!(
        value(
            crate::export::SENT_SPANS,
            &[("exporter", "http://backend:4317")]
        ),
        0.0
    );

    // Per histogram series: buckets ascend in `le`, never decrease, and +Inf equals _count.
    let mut buckets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (name, labels, v) in &samples {
        if let Some(family) = name.strip_suffix("_bucket") {
            let mut rest = labels.clone();
            let le = rest
                .remove("le")
                .unwrap_or_else(|| panic!("bucket without le"));
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            buckets
                .entry(format!("{family}{rest:?}"))
                .or_default()
                .push((le, *v));
        }
    }
    assert!(buckets.len() >= 4, "{buckets:?}");
    for (series, b) in &buckets {
        assert!(
            b.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{series}: {b:?}"
        );
        assert_eq!(b.last().map(|l| l.0), Some(f64::INFINITY), "{series}");
    }
    let checkout = &buckets[&format!(
        "meshtrace_span_duration_seconds{:?}",
        series
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    )];
    let at = |le: f64| checkout.iter().find(|b| b.0 == le).map(|b| b.1);
    assert_eq!(at(0.00025), Some(10.0));
    assert_eq!(at(0.001), Some(20.0));
    assert_eq!(at(0.05), Some(40.0));
    assert_eq!(at(60.0), Some(50.0));
    assert_eq!(at(f64::INFINITY), Some(60.0));
}

#[test]
fn every_metric_is_documented_once() {
    let all = names::all();
    let unique: BTreeSet<&str> = all.iter().map(|m| m.name).collect();
    assert_eq!(unique.len(), all.len(), "duplicate metric names");
    let doc = std::fs::read_to_string(repo().join("docs/METRICS.md")).unwrap();
    for m in &all {
        assert!(
            doc.contains(&format!("`{}`", m.name)),
            "{} missing from docs/METRICS.md",
            m.name
        );
        for label in m.labels {
            assert!(
                doc.contains(&format!("`{label}`")),
                "label {label} undocumented"
            );
        }
    }
}

fn state() -> MetricsState {
    let (aggregator, _) = fed();
    MetricsState {
        aggregator,
        pipeline: Some(Arc::new(pipeline)),
    }
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    let response = router(state())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn metrics_endpoint_serves_openmetrics() {
    let (status, content_type, body) = get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, CONTENT_TYPE);
    assert!(body.contains("meshtrace_requests_total{"), "{body}");
}

#[tokio::test]
async fn latency_api_returns_percentiles_and_rejects_bad_windows() {
    let (status, _, body) =
        get("/api/v1/latency?service=checkout&operation=POST%20/pay&window=all").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["window"], "all");
    assert_eq!(json["series"], 1);
    assert_eq!(json["requests"], 60.0);
    assert_eq!(json["histogram_count"], 60);
    let p50 = json["percentiles"]["p50"].as_f64().unwrap();
    assert!((p50 - 0.003).abs() < 0.00001, "{p50}");
    assert!((json["percentiles"]["p999"].as_f64().unwrap() - 60.0).abs() < 0.1);
    let (status, _, body) = get("/api/v1/latency?service=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"percentiles\":null"), "{body}");
    let (status, _, body) = get("/api/v1/latency?window=2h").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown window"), "{body}");
    let (status, _, _) = get("/api/v1/latency?span_kind=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `expr` of a Grafana dashboard (any depth).
fn dashboard_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr", serde_json::Value::String(e)) => out.push(e.clone()),
                    _ => dashboard_exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| dashboard_exprs(v, out)),
        _ => {}
    }
}

/// Every `expr` of a rules file, single-line or block (`expr: |`), and every `record` name.
fn rule_exprs(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut exprs, mut records) = (Vec::new(), Vec::new());
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(name) = trimmed.strip_prefix("record:") {
            records.push(name.trim().to_owned());
        }
        if let Some(expr) = trimmed.strip_prefix("expr:") {
            let expr = expr.trim();
            if expr == "|" || expr == ">" || expr.starts_with("|-") {
                let indent = line.len() - line.trim_start().len();
                let mut block = String::new();
                i += 1;
                while i < lines.len()
                    && (lines[i].trim().is_empty()
                        || lines[i].len() - lines[i].trim_start().len() > indent)
                {
                    block.push_str(lines[i].trim());
                    block.push(' ');
                    i += 1;
                }
                exprs.push(block);
                continue;
            }
            exprs.push(expr.trim_matches(['"', '\'']).to_owned());
        }
        i += 1;
    }
    (exprs, records)
}

/// Metric names in a PromQL expression: identifiers starting `meshtrace_` or a recording
/// rule prefix `meshtrace:`, excluding those inside string literals and label matchers.
fn metric_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_string = false;
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c == '"' {
            in_string = !in_string;
            i += 1;
            continue;
        }
        let starts_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if !in_string
            && starts_word
            && (expr[i..].starts_with("meshtrace_") || expr[i..].starts_with("meshtrace:"))
        {
            let end = expr[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(expr.len(), |n| i + n);
            out.push(expr[i..end].to_owned());
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

#[test]
fn every_dashboard_and_rule_query_uses_emitted_names() {
    let emitted: BTreeSet<String> = names::sample_names().into_iter().collect();
    let dir = repo().join("dashboards");
    let (rule_exprs, records) =
        rule_exprs(&std::fs::read_to_string(dir.join("prometheus/rules.yml")).unwrap());
    assert!(!rule_exprs.is_empty() && !records.is_empty());
    let mut queries: Vec<(String, String)> = rule_exprs
        .into_iter()
        .map(|e| ("rules.yml".to_owned(), e))
        .collect();
    let mut dashboards = 0;
    for entry in std::fs::read_dir(dir.join("grafana")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            dashboards += 1;
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let templating = json["templating"]["list"].as_array().unwrap();
            assert!(
                templating
                    .iter()
                    .any(|v| v["type"] == "datasource" && v["query"] == "prometheus"),
                "{path:?} has no Prometheus datasource variable"
            );
            let mut exprs = Vec::new();
            dashboard_exprs(&json, &mut exprs);
            for var in templating.iter().filter(|v| v["type"] == "query") {
                let query = var["query"]["query"].as_str().or(var["query"].as_str());
                exprs.push(query.unwrap_or_default().to_owned());
            }
            assert!(!exprs.is_empty(), "{path:?} has no queries");
            queries.extend(exprs.into_iter().map(|e| (path.display().to_string(), e)));
        }
    }
    assert_eq!(dashboards, 3);
    for (file, expr) in &queries {
        let used = metric_names(expr);
        assert!(
            !used.is_empty(),
            "{file}: {expr} queries no meshtrace metric"
        );
        for name in used {
            let known = emitted.contains(&name) || records.contains(&name);
            assert!(
                known,
                "{file}: {name} in {expr} is not emitted by the collector"
            );
        }
    }
}

#[test]
fn name_extraction_skips_strings_and_labels() {
    assert_eq!(
        metric_names(
            r#"sum(rate(meshtrace_requests_total{service="meshtrace_x"}[5m])) / meshtrace:errors:rate5m"#
        ),
        vec!["meshtrace_requests_total", "meshtrace:errors:rate5m"]
    );
}

#[test]
#[ignore = "prints the exposition for a look"]
fn print_exposition() {
    let (a, start) = fed();
    println!("{}", render(&a, &pipeline(), start).unwrap());
}
