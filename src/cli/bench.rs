//! `meshtrace bench`: load generators that measure a component as a whole process.

use std::time::Duration;

use clap::{Args, Subcommand};

/// `meshtrace bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[command(subcommand)]
    pub target: BenchTarget,
}

/// The components `meshtrace bench` can load.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// Send realistic traces over OTLP/gRPC to a collector (its own child, or `--target`) and
    /// report spans/s, the collector's CPU and peak RSS.
    Collector(BenchCollectorArgs),
}

/// `meshtrace bench collector`.
#[derive(Debug, Args)]
pub struct BenchCollectorArgs {
    /// An existing collector's OTLP/gRPC address (`grpc://HOST:PORT`); only load is
    /// generated and spans/s is what it accepted. Without it the bench starts its own
    /// collector (this binary, every listener on 127.0.0.1:0, no tail policies) exporting
    /// to an in-process OTLP sink.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// With `--target`: run the bench's OTLP/gRPC sink on this address (the target exports to
    /// it), wait for the accepted spans to arrive there and report spans delivered, so another
    /// collector is measured exactly as the bench's own child is.
    #[arg(long, value_name = "ADDR", requires_all = ["target", "target_pid"])]
    pub sink: Option<std::net::SocketAddr>,
    /// With `--sink`: the target collector's process id, whose CPU time and peak RSS are read
    /// from `/proc` over the run.
    #[arg(long, value_name = "PID", requires = "sink")]
    pub target_pid: Option<u32>,
    /// How long load is sent (e.g. `10s`).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Spans per second over all connections; 0 or absent: as fast as the collector answers.
    #[arg(long, value_name = "SPANS_PER_SEC")]
    pub rate: Option<u64>,
    /// gRPC connections, each with its own sending task and one request in flight.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub connections: u32,
    /// Spans per export request.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Start the collector child with `--passthrough` (no store, no aggregation, OTLP
    /// forwarded as received) instead of its default pipeline.
    #[arg(long, conflicts_with = "target")]
    pub passthrough: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}
