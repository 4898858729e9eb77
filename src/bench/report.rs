//! What `meshtrace bench collector` prints: a table, or one JSON object (`--json`) with the
//! same figures under stable names.

use serde::Serialize;

/// The figures of one run. Collector-side figures are absent with `--target` alone (the
/// process is not ours to measure, and its backend is not our sink); with `--sink` and
/// `--target-pid` they are there, but for the exporter's counters (its metrics are its own).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `"spawned"` (own collector child and sink) or the `--target` URL.
    pub target: String,
    /// The own collector's pipeline: `"default"` (store and aggregation) or
    /// `"passthrough"`; `null` with `--target`.
    pub pipeline: Option<&'static str>,
    /// How long load was sent, in seconds.
    pub duration_secs: f64,
    /// The `--rate` asked for, in spans per second; `null` when flat out.
    pub rate: Option<u64>,
    /// Connections used.
    pub connections: u32,
    /// Spans per request.
    pub batch: u64,
    /// Encoded size of one request, in bytes.
    pub request_bytes: usize,
    /// Export requests sent.
    pub requests: u64,
    /// Spans in the requests sent.
    pub spans_sent: u64,
    /// Spans the collector answered success for.
    pub spans_accepted: u64,
    /// Spans the sink received from the collector's exporter (own collector, or `--sink`).
    pub spans_received: Option<u64>,
    /// Requests refused with UNAVAILABLE.
    pub refused_unavailable: u64,
    /// Requests refused with RESOURCE_EXHAUSTED.
    pub refused_resource_exhausted: u64,
    /// Requests that failed otherwise.
    pub failed: u64,
    /// The first refusal or failure, if any.
    pub first_error: Option<String>,
    /// Spans per second: received by the sink over the time from the first request to the
    /// last span received (own collector, or `--sink`), or accepted over the load time
    /// (`--target` alone).
    pub spans_per_sec: f64,
    /// CPU seconds (user + system, all threads) the collector used over the run.
    pub collector_cpu_secs: Option<f64>,
    /// Spans received by the sink per CPU second of the collector: spans/s per core.
    pub spans_per_cpu_sec: Option<f64>,
    /// The collector's peak resident set size (`VmHWM`), in bytes.
    pub collector_peak_rss_bytes: Option<u64>,
    /// CPU seconds this process (senders and sink) used over the run, for context: on a
    /// small machine they compete with the collector for cores.
    pub bench_cpu_secs: f64,
    /// Spans the collector's exporter never queued because its queue was full (its
    /// `meshtrace_exporter_dropped_spans_total`): accepted, not delivered.
    pub collector_export_dropped: Option<u64>,
    /// Spans the collector's exporter gave up on (`meshtrace_exporter_failed_spans_total`).
    pub collector_export_failed: Option<u64>,
}

impl Report {
    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        // A struct of numbers and strings always serializes; the fallback is never used.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as an aligned two-column table.
    pub fn table(&self) -> String {
        let none = || "-".to_owned();
        let count = |n: Option<u64>| n.map_or_else(none, group);
        let rows: Vec<(&str, String)> = vec![
            (
                "target",
                match self.pipeline {
                    Some(pipeline) => format!("{} ({pipeline} pipeline)", self.target),
                    None => self.target.clone(),
                },
            ),
            (
                "load",
                format!(
                    "{:.1} s, {}, {} connections, {} spans/request ({} bytes)",
                    self.duration_secs,
                    self.rate
                        .map_or("flat out".to_owned(), |r| format!("{} spans/s", group(r))),
                    self.connections,
                    self.batch,
                    group(self.request_bytes as u64),
                ),
            ),
            ("requests", group(self.requests)),
            ("spans sent", group(self.spans_sent)),
            ("spans accepted", group(self.spans_accepted)),
            ("spans received (sink)", count(self.spans_received)),
            (
                "export dropped/failed",
                match (self.collector_export_dropped, self.collector_export_failed) {
                    (Some(dropped), Some(failed)) => {
                        format!("{} queue full, {} failed", group(dropped), group(failed))
                    }
                    _ => none(),
                },
            ),
            ("spans/s", group(self.spans_per_sec.round() as u64)),
            (
                "collector CPU",
                self.collector_cpu_secs
                    .map_or_else(none, |s| format!("{s:.2} s")),
            ),
            (
                "spans/s per core",
                self.spans_per_cpu_sec
                    .map_or_else(none, |s| group(s.round() as u64)),
            ),
            (
                "collector peak RSS",
                self.collector_peak_rss_bytes
                    .map_or_else(none, |b| format!("{:.1} MiB", b as f64 / 1048576.0)),
            ),
            (
                "bench CPU (this process)",
                format!("{:.2} s", self.bench_cpu_secs),
            ),
            (
                "refused",
                format!(
                    "{} UNAVAILABLE, {} RESOURCE_EXHAUSTED",
                    self.refused_unavailable, self.refused_resource_exhausted
                ),
            ),
            ("failed", group(self.failed)),
        ];
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (key, value) in rows {
            out.push_str(&format!("{key:<width$}  {value}\n"));
        }
        if let Some(error) = &self.first_error {
            out.push_str(&format!("{:<width$}  {error}\n", "first error"));
        }
        out
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}
