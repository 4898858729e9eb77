//! Prometheus text exposition of the sidecar's metrics through `prometheus-client`: the RED
//! series (HDR histograms rendered as Prometheus histograms) and the pipeline counters.

use std::sync::Arc;

use hdrhistogram::Histogram;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::registry::Registry;

use super::{RedMetrics, StatusClass};
use crate::stats::Stats;
use crate::trace::Direction;

/// What `/stats/prometheus` answers with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Name prefix of every sidecar metric.
const PREFIX: &str = "meshtrace_sidecar";
/// Histogram bucket upper bounds in seconds (Istio's request-duration buckets, from 0.5 ms).
const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

#[derive(Debug)]
struct SidecarCollector {
    red: Arc<RedMetrics>,
    stats: Arc<Stats>,
}

fn direction_label(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// Per-bucket (not cumulative) counts of `h` at [`BUCKETS`], plus `+Inf`.
fn buckets(h: &Histogram<u64>) -> Vec<(f64, u64)> {
    let mut counts = vec![0u64; BUCKETS.len() + 1];
    for v in h.iter_recorded() {
        let seconds = h.highest_equivalent(v.value_iterated_to()) as f64 / 1e6;
        let i = BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(BUCKETS.len());
        counts[i] += v.count_at_value();
    }
    BUCKETS
        .iter()
        .copied()
        .chain([f64::MAX])
        .zip(counts)
        .collect()
}

impl Collector for SidecarCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let directions = [Direction::Inbound, Direction::Outbound];
        let requests_name = format!("{PREFIX}_requests");
        let mut requests = encoder.encode_descriptor(
            &requests_name,
            "Requests proxied, by direction and status class (every request, sampled or not).",
            None,
            MetricType::Counter,
        )?;
        for direction in directions {
            for class in StatusClass::ALL {
                let Some((h, _)) = self.red.series(direction, class).and_then(|s| s.snapshot())
                else {
                    continue;
                };
                let labels = [
                    ("direction", direction_label(direction)),
                    ("status_class", class.label()),
                ];
                ConstCounter::new(h.len()).encode(requests.encode_family(&labels)?)?;
            }
        }
        let duration_name = format!("{PREFIX}_request_duration_seconds");
        let mut duration = encoder.encode_descriptor(
            &duration_name,
            "Time from request to response headers, from HDR histograms (1 us .. 60 s, 3 digits).",
            None,
            MetricType::Histogram,
        )?;
        for direction in directions {
            for class in StatusClass::ALL {
                let Some((h, sum_micros)) =
                    self.red.series(direction, class).and_then(|s| s.snapshot())
                else {
                    continue;
                };
                let labels = [
                    ("direction", direction_label(direction)),
                    ("status_class", class.label()),
                ];
                duration
                    .encode_family(&labels)?
                    .encode_histogram::<NoLabelSet>(
                        sum_micros as f64 / 1e6,
                        h.len(),
                        &buckets(&h),
                        None,
                    )?;
            }
        }
        for (name, help, value) in self.stats.snapshot() {
            let metric_name = format!("{PREFIX}_{name}");
            let metric =
                encoder.encode_descriptor(&metric_name, help, None, MetricType::Counter)?;
            ConstCounter::new(value).encode(metric)?;
        }
        Ok(())
    }
}

/// Renders every sidecar metric in the Prometheus/OpenMetrics text format.
pub fn encode(red: &Arc<RedMetrics>, stats: &Arc<Stats>) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SidecarCollector {
        red: red.clone(),
        stats: stats.clone(),
    }));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn exposition_has_counts_buckets_and_pipeline_counters() {
        let red = Arc::new(RedMetrics::new().unwrap());
        red.record(
            Direction::Inbound,
            StatusClass::Success,
            Duration::from_micros(700),
        );
        red.record(
            Direction::Inbound,
            StatusClass::Success,
            Duration::from_millis(3),
        );
        red.record(
            Direction::Outbound,
            StatusClass::ServerError,
            Duration::from_secs(2),
        );
        let stats = Arc::new(Stats::default());
        Stats::add(&stats.spans_exported, 7);
        let text = encode(&red, &stats).unwrap();
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            line(r#"meshtrace_sidecar_requests_total{direction="inbound",status_class="2xx"}"#),
            "2"
        );
        assert_eq!(
            line(r#"meshtrace_sidecar_requests_total{direction="outbound",status_class="5xx"}"#),
            "1"
        );
        let bucket = |le: &str| {
            line(&format!(
                r#"meshtrace_sidecar_request_duration_seconds_bucket{{le="{le}",direction="inbound",status_class="2xx"}}"#
            ))
        };
        assert_eq!(bucket("0.0005"), "0");
        assert_eq!(bucket("0.001"), "1");
        assert_eq!(bucket("0.005"), "2");
        assert_eq!(bucket("+Inf"), "2");
        assert_eq!(
            line(
                r#"meshtrace_sidecar_request_duration_seconds_sum{direction="inbound",status_class="2xx"}"#
            ),
            "0.0037"
        );
        assert_eq!(line("meshtrace_sidecar_spans_exported_total"), "7");
        assert!(text.ends_with("# EOF\n"));
    }
}
