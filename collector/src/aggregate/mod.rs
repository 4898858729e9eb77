//! Weighted RED aggregation of every received span: latency in HDR-layout histograms, request
//! and error rates per (service, operation, span kind, status class), each span counted by
//! its adjusted count (`ot=th` in its `tracestate`) so the numbers estimate true traffic
//! under head sampling; sliding windows (1, 5, 15 minutes) and cumulative totals; a capped
//! series count with an overflow series; and the service graph from client/server pairs.
//! `crate::metrics` exposes it.

mod aggregator;
mod batch;
mod config;
mod distribution;
mod edges;
mod error;
mod graph;
mod key;
mod labels;
mod pairing;
mod series;
mod span_metrics;
mod summary;
mod weight;
mod window;

#[cfg(test)]
mod tests;

pub use aggregator::Aggregator;
pub use config::{AggregateConfig, AggregateConfigError};
pub use distribution::{Distribution, HIGHEST_MICROS, LOWEST_MICROS, Layout, SIGNIFICANT_DIGITS};
pub use edges::EdgeSnapshot;
pub use error::AggregateError;
pub use graph::{GraphStats, ServiceGraph};
pub use key::{OVERFLOW, SeriesKey};
pub use labels::{KindLabel, StatusClass};
pub use span_metrics::{SeriesSnapshot, SpanMetrics, SpanMetricsStats};
pub use summary::{LatencySummary, Percentiles, summarize};
pub use weight::AdjustedCount;
pub use window::{Clock, Window};
