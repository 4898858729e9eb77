//! The one entry point the collector feeds: every received span goes to the latency series
//! and to the service graph.

use tokio::time::Instant;

use super::AggregateError;
use super::config::AggregateConfig;
use super::graph::ServiceGraph;
use super::span_metrics::SpanMetrics;
use super::weight::AdjustedCount;
use super::{LatencySummary, SeriesKey, Window, summarize};
use crate::store::StoredSpan;

/// Weighted RED series and the service graph, shared (through an `Arc`) by every receiver
/// task and the metrics endpoints.
#[derive(Debug)]
pub struct Aggregator {
    spans: SpanMetrics,
    graph: ServiceGraph,
}

impl Aggregator {
    /// An empty aggregator; its windows count from `start`.
    pub fn new(config: &AggregateConfig, start: Instant) -> Result<Self, AggregateError> {
        Ok(Self {
            spans: SpanMetrics::new(config, start)?,
            graph: ServiceGraph::new(config, start)?,
        })
    }

    /// Records one span received at `now`, weighted by the adjusted count in its
    /// `tracestate` (1 without `ot=th`).
    pub fn observe(&self, span: &StoredSpan, now: Instant) {
        let weight = AdjustedCount::from_trace_state(&span.trace_state);
        self.observe_weighted(span, weight, now);
    }

    /// Records one span received at `now`, standing for `weight` spans.
    pub fn observe_weighted(&self, span: &StoredSpan, weight: AdjustedCount, now: Instant) {
        self.spans.observe(span, weight, now);
        self.graph.observe(span, weight, now);
    }

    /// Records a batch received at `now`: each shard's lock is taken once per batch, and
    /// spans of one batch usually share their `tracestate`, so the last one parsed is
    /// remembered.
    pub fn observe_batch<'a>(&self, spans: impl IntoIterator<Item = &'a StoredSpan>, now: Instant) {
        let mut last: Option<(&str, AdjustedCount)> = None;
        let weighted: Vec<(&StoredSpan, AdjustedCount)> = spans
            .into_iter()
            .map(|span| {
                let weight = match last {
                    Some((state, weight)) if state == span.trace_state => weight,
                    _ => AdjustedCount::from_trace_state(&span.trace_state),
                };
                last = Some((&span.trace_state, weight));
                (span, weight)
            })
            .collect();
        self.observe_weighted_batch(&weighted, now);
    }

    /// Records a batch received at `now` with known weights.
    pub fn observe_weighted_batch(&self, spans: &[(&StoredSpan, AdjustedCount)], now: Instant) {
        self.spans.observe_batch(spans, now);
        self.graph.observe_batch(spans, now);
    }

    /// The latency series.
    pub fn span_metrics(&self) -> &SpanMetrics {
        &self.spans
    }

    /// The service graph.
    pub fn graph(&self) -> &ServiceGraph {
        &self.graph
    }

    /// Requests, errors and exact percentiles over `window` of every series `filter` accepts,
    /// merged; with how many series matched.
    pub fn summarize(
        &self,
        window: Window,
        now: Instant,
        filter: impl Fn(&SeriesKey) -> bool,
    ) -> Result<(usize, LatencySummary), AggregateError> {
        let matching = self.spans.collect(window, now, filter);
        let covered = self.spans.clock().covered(window, now);
        let summary = summarize(
            matching.iter().map(|s| &s.data),
            self.spans.layout(),
            covered,
        )?;
        Ok((matching.len(), summary))
    }
}
