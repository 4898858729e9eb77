//! Every query in `dashboards/` uses only names the collector emits.

use std::collections::BTreeSet;

use super::*;

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
