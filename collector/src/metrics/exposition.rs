//! The `/metrics` text: a `prometheus-client` [`Collector`] over a snapshot of the aggregator
//! and the pipeline, in the OpenMetrics text format.
//!
//! Latency histograms are the cumulative HDR data folded into fixed Prometheus buckets;
//! `_count` is the histogram's whole count and `_sum` the exact weighted sum. Request and
//! error counters are the exact weighted (float) counts. `prometheus-client` writes label
//! values verbatim, so service and operation names are escaped here.

use std::borrow::Cow;
use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use super::names::{self, Kind, Metric};
use super::sources::{PipelineSnapshot, resident_memory_bytes};
use crate::aggregate::{Aggregator, Distribution, Layout, Window};

/// The `Content-Type` of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds (seconds) of the Prometheus latency buckets: 100 us to 60 s (Istio's
/// request-duration buckets with two finer ones in front for in-process spans).
pub const BUCKETS: [f64; 18] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

type Labels = Vec<(&'static str, String)>;

/// A histogram ready to encode.
#[derive(Debug)]
struct Hist {
    labels: Labels,
    sum: f64,
    count: u64,
    buckets: Vec<(f64, u64)>,
}

/// Float counters and histograms of one metric family.
#[derive(Debug, Default)]
struct Family {
    counters: Vec<(Labels, f64)>,
    histograms: Vec<Hist>,
}

/// Everything one scrape shows, owned (a registry wants `'static` collectors).
#[derive(Debug, Default)]
struct Frame {
    families: Vec<(Metric, Family)>,
}

impl Frame {
    /// A frame with one (empty) family per known metric, in [`names::all`] order.
    fn new() -> Self {
        let families = names::all()
            .into_iter()
            .map(|m| (m, Family::default()))
            .collect();
        Self { families }
    }

    fn family(&mut self, name: &str) -> Option<&mut Family> {
        self.families
            .iter_mut()
            .find(|(m, _)| m.name == name)
            .map(|(_, f)| f)
    }

    fn values(&mut self, name: &str, values: Vec<(Labels, f64)>) {
        if let Some(family) = self.family(name) {
            family.counters.extend(values);
        }
    }

    fn value(&mut self, name: &str, labels: Labels, value: f64) {
        self.values(name, vec![(labels, value)]);
    }

    fn histograms(&mut self, name: &str, histograms: Vec<Hist>) {
        if let Some(family) = self.family(name) {
            family.histograms.extend(histograms);
        }
    }
}

/// Escapes a label value for the text format (`\`, `"` and line feeds).
pub fn escape(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn hist(labels: Labels, data: &Distribution, layout: &Layout) -> Hist {
    Hist {
        labels,
        sum: data.sum_seconds,
        count: data.count(),
        buckets: data.prometheus_buckets(layout, &BUCKETS),
    }
}

fn build(aggregator: &Aggregator, pipeline: &PipelineSnapshot, now: Instant) -> Frame {
    let mut frame = Frame::new();
    let spans = aggregator.span_metrics();
    let (mut requests, mut errors, mut durations) = (Vec::new(), Vec::new(), Vec::new());
    for s in spans.snapshot(Window::All, now) {
        let labels: Labels = vec![
            (names::SERVICE, escape(&s.key.service).into_owned()),
            (names::OPERATION, escape(&s.key.operation).into_owned()),
            (names::SPAN_KIND, s.key.kind.label().to_owned()),
            (names::STATUS_CLASS, s.key.class.label().to_owned()),
        ];
        requests.push((labels.clone(), s.data.requests));
        errors.push((labels.clone(), s.data.errors));
        durations.push(hist(labels, &s.data, spans.layout()));
    }
    frame.values(names::REQUESTS, requests);
    frame.values(names::REQUEST_ERRORS, errors);
    frame.histograms(names::SPAN_DURATION, durations);

    let graph = aggregator.graph();
    let (mut calls, mut failed, mut durations) = (Vec::new(), Vec::new(), Vec::new());
    for e in graph.snapshot(Window::All, now) {
        let labels: Labels = vec![
            (names::CLIENT, escape(&e.client).into_owned()),
            (names::SERVER, escape(&e.server).into_owned()),
        ];
        calls.push((labels.clone(), e.data.requests));
        failed.push((labels.clone(), e.data.errors));
        durations.push(hist(labels, &e.data, graph.layout()));
    }
    frame.values(names::GRAPH_REQUESTS, calls);
    frame.values(names::GRAPH_FAILED, failed);
    frame.histograms(names::GRAPH_DURATION, durations);

    let g = graph.stats(now);
    frame.value(names::GRAPH_PENDING, vec![], g.pending_spans as f64);
    for (reason, n) in [("expired", g.expired_spans), ("evicted", g.evicted_spans)] {
        let labels = vec![(names::REASON, reason.to_owned())];
        frame.value(names::GRAPH_UNPAIRED, labels, n as f64);
    }
    frame.value(names::GRAPH_EDGES, vec![], g.edges as f64);
    frame.value(names::GRAPH_OVERFLOW, vec![], g.overflow_calls as f64);
    let a = spans.stats();
    frame.value(names::AGGREGATE_SPANS, vec![], a.observed_spans as f64);
    frame.value(names::AGGREGATE_SERIES, vec![], a.series as f64);
    frame.value(names::AGGREGATE_SERIES_LIMIT, vec![], a.max_series as f64);
    frame.value(names::AGGREGATE_OVERFLOW, vec![], a.overflow_spans as f64);
    if let Some(store) = pipeline.store {
        frame.value(names::STORE_TRACES, vec![], store.traces as f64);
        frame.value(names::STORE_SPANS, vec![], store.spans as f64);
        frame.value(
            names::STORE_EVICTED_TRACES,
            vec![],
            store.evicted_traces as f64,
        );
        frame.value(
            names::STORE_DROPPED_SPANS,
            vec![],
            store.dropped_spans as f64,
        );
    }
    if let Some(tail) = &pipeline.tail {
        for (policy, n) in &tail.kept_by_policy {
            let policy = if policy.is_empty() { "none" } else { policy };
            let labels = vec![(names::POLICY, escape(policy).into_owned())];
            frame.value(names::TAIL_KEPT, labels, *n as f64);
        }
        frame.value(names::TAIL_DROPPED, vec![], tail.traces_dropped as f64);
        frame.value(
            names::TAIL_DECIDED_EARLY,
            vec![],
            tail.traces_decided_early as f64,
        );
        for (decision, n) in [
            ("kept", tail.late_spans_kept),
            ("dropped", tail.late_spans_dropped),
        ] {
            let labels = vec![(names::DECISION, decision.to_owned())];
            frame.value(names::TAIL_LATE_SPANS, labels, n as f64);
        }
        frame.value(
            names::TAIL_TRACES_BUFFERED,
            vec![],
            tail.traces_buffered as f64,
        );
        frame.value(
            names::TAIL_SPANS_BUFFERED,
            vec![],
            tail.spans_buffered as f64,
        );
        frame.value(
            names::TAIL_BYTES_BUFFERED,
            vec![],
            tail.bytes_buffered as f64,
        );
    }
    if let Some(rss) = resident_memory_bytes() {
        frame.value(names::PROCESS_RESIDENT_MEMORY, vec![], rss as f64);
    }
    for sample in &pipeline.receivers {
        let labels = sample
            .labels
            .iter()
            .map(|&(k, v)| (k, v.to_owned()))
            .collect();
        frame.value(sample.name, labels, sample.value as f64);
    }
    for (url, counters) in &pipeline.exporters {
        let labels: Labels = vec![(names::EXPORTER, escape(url).into_owned())];
        for (name, value) in counters.samples() {
            frame.value(name, labels.clone(), value as f64);
        }
    }
    frame
}

impl Collector for Frame {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        for (m, family) in &self.families {
            let (name, kind) = match m.kind {
                // The encoder appends `_total` to counters itself.
                Kind::Counter => (
                    m.name.strip_suffix("_total").unwrap_or(m.name),
                    MetricType::Counter,
                ),
                Kind::Gauge => (m.name, MetricType::Gauge),
                Kind::Histogram => (m.name, MetricType::Histogram),
            };
            let mut metric = encoder.encode_descriptor(name, m.help, None, kind)?;
            if let [(labels, value)] = family.counters.as_slice()
                && labels.is_empty()
            {
                // A single unlabelled sample: written as `name value`, not `name{} value`.
                encode_value(m.kind, *value, metric)?;
                continue;
            }
            for (labels, value) in &family.counters {
                let labels: Vec<(&str, &str)> =
                    labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
                encode_value(m.kind, *value, metric.encode_family(&labels)?)?;
            }
            for h in &family.histograms {
                let labels: Vec<(&str, &str)> =
                    h.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
                metric
                    .encode_family(&labels)?
                    .encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)?;
            }
        }
        Ok(())
    }
}

fn encode_value(kind: Kind, value: f64, encoder: MetricEncoder<'_>) -> Result<(), fmt::Error> {
    match kind {
        Kind::Counter => ConstCounter::new(value).encode(encoder),
        Kind::Gauge | Kind::Histogram => ConstGauge::new(value).encode(encoder),
    }
}

/// Renders every collector metric at `now` in the OpenMetrics text format.
pub fn render(
    aggregator: &Aggregator,
    pipeline: &PipelineSnapshot,
    now: Instant,
) -> Result<String, fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(build(aggregator, pipeline, now)));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}
