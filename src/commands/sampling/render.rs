//! Tables for `meshtrace sampling` (or the JSON itself with `--json`).

use std::fmt::Write as _;

use serde_json::Value;

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn strategy_text(entry: &Value) -> String {
    let param = entry["param"].as_f64().unwrap_or_default();
    match entry["type"].as_str() {
        Some("ratelimiting") => format!("{param} traces/s"),
        Some("probabilistic") => format!("p = {param}"),
        _ => "-".into(),
    }
}

fn rows(out: &mut String, service: &str, entry: &Value) {
    let _ = writeln!(out, "{service:<28} {}", strategy_text(entry));
    for op in entry["operation_strategies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = op["operation"].as_str().unwrap_or_default();
        let _ = writeln!(out, "  {name:<26} {}", strategy_text(op));
    }
}

/// `GET/PUT /api/v1/sampling`.
pub fn strategies(all: &Value, json: bool) -> String {
    if json {
        return pretty(all);
    }
    let mut out = String::new();
    let version = all["version"].as_u64().unwrap_or_default();
    let updated = all["updated"].as_str().unwrap_or("-");
    let _ = writeln!(out, "version {version}, applied {updated}");
    let _ = writeln!(out, "{:<28} STRATEGY", "SERVICE");
    let default = &all["strategies"]["default_strategy"];
    if default.is_object() {
        rows(&mut out, "(default)", default);
    } else {
        let _ = writeln!(out, "{:<28} p = 0.001 (Jaeger's default)", "(default)");
    }
    for entry in all["strategies"]["service_strategies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        rows(
            &mut out,
            entry["service"].as_str().unwrap_or_default(),
            entry,
        );
    }
    out.trim_end().to_owned()
}

/// One service's entry.
pub fn entry(entry: &Value, json: bool) -> String {
    if json {
        return pretty(entry);
    }
    let mut out = String::new();
    rows(
        &mut out,
        entry["service"].as_str().unwrap_or_default(),
        entry,
    );
    out.trim_end().to_owned()
}

/// The answer to a change.
pub fn change(answer: &Value, json: bool) -> String {
    if json {
        return pretty(answer);
    }
    let version = answer["version"].as_u64().unwrap_or_default();
    let updated = answer["updated"].as_str().unwrap_or("-");
    let mut out = format!("applied: version {version} at {updated}");
    if answer["service_strategy"].is_object() {
        out.push('\n');
        out.push_str(&entry(&answer["service_strategy"], false));
    }
    out
}

/// The tail policy document.
pub fn tail(document: &Value, json: bool) -> String {
    if json {
        return pretty(document);
    }
    let policies = document["policies"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if policies.is_empty() {
        return "no tail policies: every trace is kept".into();
    }
    let mut out = format!("{:<24} TYPE\n", "POLICY");
    for policy in policies {
        let _ = writeln!(
            out,
            "{:<24} {}",
            policy["name"].as_str().unwrap_or_default(),
            policy["type"].as_str().unwrap_or_default()
        );
    }
    out.trim_end().to_owned()
}
