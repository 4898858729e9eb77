//! Exposition and API tests: every line well formed, histograms cumulative, label values
//! escaped, the handlers answering in-process, and every dashboard/rule query using only
//! names the collector emits.

mod api;
mod dashboards;
mod exposition;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as SpanStatusCode;
use tokio::time::Instant;

use super::*;
use crate::aggregate::{AdjustedCount, AggregateConfig, Aggregator};
use crate::pipeline::{IngestCounters, Receiver};
use crate::store::{SpanStatus, StoredSpan};

pub(super) fn span(
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

pub(super) fn fed() -> (Arc<Aggregator>, Instant) {
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

pub(super) fn pipeline() -> PipelineSnapshot {
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
pub(super) fn parse(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
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

pub(super) fn parse_labels(mut rest: &str) -> BTreeMap<String, String> {
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

pub(super) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
