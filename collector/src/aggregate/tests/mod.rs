//! Aggregation tests: weighting, windows, the series cap, service-graph pairing and
//! percentile accuracy. Time is always passed in.

mod accuracy;
mod graph;
mod series;

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use tokio::time::Instant;

use super::*;
use crate::store::{SpanStatus, StoredSpan};

pub(super) fn span(service: &str, name: &str, kind: SpanKind, micros: u64) -> StoredSpan {
    StoredSpan {
        trace_id: [7; 16],
        span_id: [1; 8],
        parent_span_id: None,
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

pub(super) fn failed(mut s: StoredSpan) -> StoredSpan {
    s.status.code = StatusCode::Error;
    s
}

pub(super) fn with_http_status(mut s: StoredSpan, code: i64) -> StoredSpan {
    s.attributes.push(KeyValue {
        key: "http.response.status_code".to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(code)),
        }),
        ..KeyValue::default()
    });
    s
}

pub(super) fn aggregator(config: AggregateConfig) -> (Aggregator, Instant) {
    let start = Instant::now();
    (Aggregator::new(&config, start).unwrap(), start)
}

pub(super) fn summary(
    a: &Aggregator,
    service: Option<&str>,
    window: Window,
    now: Instant,
) -> LatencySummary {
    let spans = a.span_metrics();
    let parts = spans.collect(window, now, |k| service.is_none_or(|s| &*k.service == s));
    let covered = spans.clock().covered(window, now);
    summarize(parts.iter().map(|p| &p.data), spans.layout(), covered).unwrap()
}

pub(super) fn call(trace: u8, client_id: u8, server_id: u8) -> (StoredSpan, StoredSpan) {
    let mut client = span("frontend", "GET /cart", SpanKind::Client, 3_000);
    client.trace_id = [trace; 16];
    client.span_id = [client_id; 8];
    let mut server = span("cart", "GET /cart", SpanKind::Server, 2_000);
    server.trace_id = [trace; 16];
    server.span_id = [server_id; 8];
    server.parent_span_id = Some([client_id; 8]);
    (client, server)
}

pub(super) fn edges(a: &Aggregator, now: Instant) -> Vec<(String, String, f64, f64, u64)> {
    a.graph()
        .snapshot(Window::All, now)
        .into_iter()
        .map(|e| {
            (
                e.client.to_string(),
                e.server.to_string(),
                e.data.requests,
                e.data.errors,
                e.data.count(),
            )
        })
        .collect()
}
