//! The sidecar's own counters: lock-free, bumped on the request path, read by the admin API.

use std::sync::atomic::{AtomicU64, Ordering};

/// Names and values of every counter, in one place.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests proxied, both directions.
    pub requests: AtomicU64,
    /// Non-HTTP connections passed through as plain TCP (transparent mode).
    pub tcp_connections: AtomicU64,
    /// Requests whose upstream could not be reached.
    pub upstream_errors: AtomicU64,
    /// Trace headers present but invalid (ignored).
    pub invalid_trace_headers: AtomicU64,
    /// Spans recorded (sampled).
    pub spans_recorded: AtomicU64,
    /// Spans dropped because the export queue was full.
    pub spans_dropped_queue_full: AtomicU64,
    /// Spans the collector accepted.
    pub spans_exported: AtomicU64,
    /// Spans lost because an export call failed.
    pub spans_export_failed: AtomicU64,
}

impl Stats {
    /// Adds one to `counter`.
    pub fn incr(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Every counter as `(name, help, value)`. The name is the one place a counter is named:
    /// `/stats` prints `meshtrace.<name>`, Prometheus `meshtrace_sidecar_<name>_total`.
    pub fn snapshot(&self) -> [(&'static str, &'static str, u64); 8] {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            (
                "requests",
                "Requests proxied, both directions.",
                read(&self.requests),
            ),
            (
                "tcp_connections",
                "Non-HTTP connections passed through as plain TCP.",
                read(&self.tcp_connections),
            ),
            (
                "upstream_errors",
                "Requests whose upstream could not be reached.",
                read(&self.upstream_errors),
            ),
            (
                "invalid_trace_headers",
                "Trace headers present but invalid, ignored.",
                read(&self.invalid_trace_headers),
            ),
            (
                "spans_recorded",
                "Spans recorded (sampled requests).",
                read(&self.spans_recorded),
            ),
            (
                "spans_dropped_queue_full",
                "Spans dropped because the export queue was full.",
                read(&self.spans_dropped_queue_full),
            ),
            (
                "spans_exported",
                "Spans the collector accepted.",
                read(&self.spans_exported),
            ),
            (
                "spans_export_failed",
                "Spans lost because an export call failed.",
                read(&self.spans_export_failed),
            ),
        ]
    }
}
