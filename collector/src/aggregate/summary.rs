//! Rates and exact HDR percentiles over a set of series in one window: what the latency API
//! and the web page show.

use std::time::Duration;

use serde::Serialize;

use super::AggregateError;
use super::distribution::{Distribution, Layout};

/// Latency percentiles, in seconds, as the HDR histogram answers them (the highest value
/// equivalent to the true percentile at 3 significant digits).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value recorded.
    pub max: f64,
}

/// Requests, errors and latency of some series over one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Seconds the window actually covers (less than its length while the collector is young).
    pub covered_seconds: f64,
    /// Weighted requests: the estimate of true traffic.
    pub requests: f64,
    /// Weighted failed requests.
    pub errors: f64,
    /// Requests per second.
    pub rate: f64,
    /// Failed requests per second.
    pub error_rate: f64,
    /// Failed over all requests; `None` without requests.
    pub error_ratio: Option<f64>,
    /// Observations in the histogram (weighted, rounded; within 1 of `requests` per series).
    pub histogram_count: u64,
    /// Weighted mean latency, seconds; `None` without requests.
    pub mean_seconds: Option<f64>,
    /// `None` when the histogram is empty.
    pub percentiles: Option<Percentiles>,
}

/// Merges `parts` and summarizes them over `covered`.
pub fn summarize<'a>(
    parts: impl IntoIterator<Item = &'a Distribution>,
    layout: &Layout,
    covered: Duration,
) -> Result<LatencySummary, AggregateError> {
    let mut merged = Distribution::default();
    for part in parts {
        merged.add(part);
    }
    let hdr = merged.to_hdr(layout)?;
    let seconds = |q: f64| hdr.value_at_quantile(q) as f64 / 1e6;
    let percentiles = (!hdr.is_empty()).then(|| Percentiles {
        p50: seconds(0.5),
        p90: seconds(0.9),
        p95: seconds(0.95),
        p99: seconds(0.99),
        p999: seconds(0.999),
        max: hdr.highest_equivalent(hdr.max()) as f64 / 1e6,
    });
    let covered_seconds = covered.as_secs_f64();
    let per_second = |n: f64| {
        if covered_seconds > 0.0 {
            n / covered_seconds
        } else {
            0.0
        }
    };
    let with_requests = |n: f64| (merged.requests > 0.0).then(|| n / merged.requests);
    Ok(LatencySummary {
        covered_seconds,
        requests: merged.requests,
        errors: merged.errors,
        rate: per_second(merged.requests),
        error_rate: per_second(merged.errors),
        error_ratio: with_requests(merged.errors),
        histogram_count: hdr.len(),
        mean_seconds: with_requests(merged.sum_seconds),
        percentiles,
    })
}
