//! What the demo prints: where to look, a progress line, and the closing summary.

use std::net::SocketAddr;
use std::time::Duration;

use collector::StoreStats;

use super::load::LoadStats;

/// Printed once everything listens.
pub fn print_banner(
    http: SocketAddr,
    otlp: SocketAddr,
    entry: SocketAddr,
    rps: u32,
    duration: Option<Duration>,
) {
    let until = duration.map_or("until Ctrl-C".to_owned(), |d| {
        format!("for {}", humantime::format_duration(d))
    });
    println!(
        "meshtrace demo: collector + Bookinfo (productpage -> details, reviews v1/v2/v3 -> ratings), each behind a sidecar"
    );
    println!("  load            {rps} req/s to http://{entry}/productpage, {until}");
    println!("  services        http://{http}/api/services");
    println!("  traces          http://{http}/api/traces?service=productpage&limit=20");
    println!("  OTLP/gRPC in    grpc://{otlp}");
    println!("  Jaeger UI       point a Jaeger UI's query base at http://{http}");
}

/// One line every few seconds.
pub fn print_progress(elapsed: Duration, load: &LoadStats, store: &StoreStats) {
    println!(
        "[{:>4}s] requests {} (ok {}, errors {}, failed {}) | traces stored {} | spans {}",
        elapsed.as_secs(),
        LoadStats::get(&load.sent),
        LoadStats::get(&load.ok),
        LoadStats::get(&load.errors),
        LoadStats::get(&load.failed),
        store.traces,
        store.spans,
    );
}

/// The closing table.
pub fn print_summary(elapsed: Duration, load: &LoadStats, store: &StoreStats, http: SocketAddr) {
    let sent = LoadStats::get(&load.sent);
    println!();
    println!("meshtrace demo summary ({:.1}s)", elapsed.as_secs_f64());
    println!("  requests sent      {sent:>8}");
    println!("    ok (2xx)         {:>8}", LoadStats::get(&load.ok));
    println!("    errors           {:>8}", LoadStats::get(&load.errors));
    println!("    failed           {:>8}", LoadStats::get(&load.failed));
    println!("    skipped (busy)   {:>8}", LoadStats::get(&load.skipped));
    println!("  traces stored      {:>8}", store.traces);
    println!("  spans stored       {:>8}", store.spans);
    println!("  spans per service:");
    for (service, spans) in &store.spans_per_service {
        println!("    {service:<16} {spans:>8}");
    }
    if store.evicted_traces > 0 {
        println!(
            "  traces evicted     {:>8} (store bound)",
            store.evicted_traces
        );
    }
    println!("  (the query API at http://{http} stopped with the demo)");
}
