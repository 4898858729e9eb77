//! The exposition: well-formed lines, cumulative histograms, escaping, documentation.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

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
