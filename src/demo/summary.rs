//! What the demo prints: where to look, a progress line, and the closing summary.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use collector::aggregate::{Aggregator, KindLabel, LatencySummary, Window};
use collector::tail::TailCounters;
use collector::{StoreStats, TraceQuery, TraceStore};

use super::load::LoadStats;
use crate::cli::DemoArgs;

/// Printed once everything listens.
pub fn print_banner(http: SocketAddr, otlp: SocketAddr, entry: SocketAddr, args: &DemoArgs) {
    let until = args.duration.map_or("until Ctrl-C".to_owned(), |d| {
        format!("for {}", humantime::format_duration(d))
    });
    outln!(
        "meshtrace demo: collector + Bookinfo (productpage -> details, reviews v1/v2/v3 -> ratings), each behind a sidecar"
    );
    outln!(
        "  load            {} req/s (bursts of 3x for 2 s every 10 s) to http://{entry}/productpage, {until}",
        args.rps
    );
    outln!("  tail sampling   keep errors, traces over 250 ms, 10% of the rest");
    outln!("  web page        http://{http}/");
    outln!("  services        http://{http}/api/services");
    outln!("  traces          http://{http}/api/traces?service=productpage&limit=20");
    outln!("  OTLP/gRPC in    grpc://{otlp}");
    outln!("  Jaeger UI       point a Jaeger UI's query base at http://{http}");
    for url in &args.export {
        outln!("  exporting to    {url}");
    }
}

/// One line every few seconds.
pub fn print_progress(
    elapsed: Duration,
    load: &LoadStats,
    store: &StoreStats,
    tail: &TailCounters,
) {
    use std::io::{IsTerminal as _, Write as _};
    let line = format!(
        "[{:>4}s] requests {} (ok {}, errors {}) | tail kept {} dropped {} buffered {} | traces stored {}",
        elapsed.as_secs(),
        LoadStats::get(&load.sent),
        LoadStats::get(&load.ok),
        LoadStats::get(&load.errors),
        TailCounters::get(&tail.traces_kept),
        TailCounters::get(&tail.traces_dropped),
        TailCounters::get(&tail.traces_buffered),
        store.traces,
    );
    // On a terminal the line updates in place; in a log or pipe it is one line per update.
    let mut stdout = std::io::stdout();
    if stdout.is_terminal() {
        let _ = write!(stdout, "\r\x1b[2K{line}");
        let _ = stdout.flush();
    } else {
        let _ = writeln!(stdout, "{line}");
    }
}

/// A few traces worth opening: one with an error, the slowest.
pub fn interesting_traces(store: &TraceStore) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let error = TraceQuery {
        tags: BTreeMap::from([("error".to_owned(), "true".to_owned())]),
        limit: 1,
        ..TraceQuery::default()
    };
    let slow = TraceQuery {
        duration_min: Some(250_000_000),
        limit: 1,
        ..TraceQuery::default()
    };
    for (label, query) in [("a failed request", error), ("a slow request", slow)] {
        if let Some(trace) = store.find_traces(&query).first() {
            found.push((label, collector::store::to_hex(&trace.trace_id)));
        }
    }
    found
}

/// Per service (server spans, since the start): weighted requests per second, error ratio,
/// p50 and p99 in seconds, from the collector's HDR histograms.
pub fn per_service(aggregator: &Aggregator, store: &TraceStore) -> Vec<(String, LatencySummary)> {
    let now = tokio::time::Instant::now();
    let server = KindLabel::parse("server");
    store
        .services()
        .into_iter()
        .filter_map(|service| {
            let (_, summary) = aggregator
                .summarize(Window::All, now, |key| {
                    *key.service == *service && Some(key.kind) == server
                })
                .ok()?;
            Some((service, summary))
        })
        .collect()
}

/// The closing summary.
pub struct Report<'a> {
    /// How long the demo ran.
    pub elapsed: Duration,
    /// What the load generator saw.
    pub load: &'a LoadStats,
    /// What the store holds.
    pub store: &'a StoreStats,
    /// What tail sampling did.
    pub tail: &'a TailCounters,
    /// Traces worth opening.
    pub interesting: Vec<(&'static str, String)>,
    /// The query API's address.
    pub http: SocketAddr,
    /// Per-service rate, errors and latency.
    pub services: Vec<(String, LatencySummary)>,
}

impl Report<'_> {
    /// Prints the table.
    pub fn print(&self) {
        let (load, store, tail) = (self.load, self.store, self.tail);
        let sent = LoadStats::get(&load.sent);
        let secs = self.elapsed.as_secs_f64().max(0.001);
        outln!();
        outln!("meshtrace demo summary ({secs:.1}s)");
        outln!(
            "  requests sent        {sent:>8}  ({:.1}/s)",
            sent as f64 / secs
        );
        outln!("    ok (2xx)           {:>8}", LoadStats::get(&load.ok));
        outln!("    errors             {:>8}", LoadStats::get(&load.errors));
        outln!("    failed             {:>8}", LoadStats::get(&load.failed));
        outln!(
            "    skipped (busy)     {:>8}",
            LoadStats::get(&load.skipped)
        );
        outln!("  traces head-sampled  {sent:>8}  (every sidecar samples at p = 1)");
        let (kept, dropped) = (
            TailCounters::get(&tail.traces_kept),
            TailCounters::get(&tail.traces_dropped),
        );
        outln!(
            "  traces kept by tail  {kept:>8}  of {} decided",
            kept + dropped
        );
        for (policy, count) in tail.kept_by_policy() {
            outln!(
                "    {:<18} {count:>8}",
                if policy.is_empty() {
                    "(no policy)"
                } else {
                    &policy
                }
            );
        }
        outln!("  per service (all requests, from the collector's HDR histograms):");
        outln!(
            "    {:<14} {:>9} {:>8} {:>10} {:>10}",
            "service",
            "req/s",
            "errors",
            "p50",
            "p99"
        );
        for (service, s) in &self.services {
            let (p50, p99) = s
                .percentiles
                .as_ref()
                .map_or((0.0, 0.0), |p| (p.p50, p.p99));
            outln!(
                "    {service:<14} {:>9.1} {:>7.1}% {:>8.1}ms {:>8.1}ms",
                s.rate,
                s.error_ratio.unwrap_or(0.0) * 100.0,
                p50 * 1000.0,
                p99 * 1000.0
            );
        }
        outln!("  traces stored        {:>8}", store.traces);
        outln!("  spans per service:");
        for (service, spans) in &store.spans_per_service {
            outln!("    {service:<18} {spans:>8}");
        }
        if store.evicted_traces > 0 {
            outln!(
                "  traces evicted       {:>8} (store bound)",
                store.evicted_traces
            );
        }
        for (label, id) in &self.interesting {
            outln!("  {label:<20} http://{}/api/traces/{id}", self.http);
        }
        outln!(
            "  (the query API at http://{} stopped with the demo)",
            self.http
        );
    }
}
