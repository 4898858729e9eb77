//! Command-line interface: every command of the SPEC, with its flags. Flags map one-to-one
//! onto the components' config types in `commands`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

mod bench;
mod mesh;
mod sampling;

pub use bench::{BenchArgs, BenchCollectorArgs, BenchTarget};
pub use mesh::{ConfigArgs, ConfigTarget, InjectArgs, IptablesArgs};
pub use sampling::{SamplingAction, SamplingArgs, TailAction};

/// Tracing and sampling pipeline for service meshes.
#[derive(Debug, Parser)]
#[command(name = "meshtrace", version, about, propagate_version = true)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `meshtrace`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a collector, a Bookinfo-like mesh with sidecars, and load; print where to look.
    Demo(DemoArgs),
    /// Run the collector: OTLP receiver, trace store, Jaeger query API.
    Collector(CollectorArgs),
    /// Run the sidecar proxy for one workload.
    Sidecar(SidecarArgs),
    /// Read and change sampling at runtime through a collector's API.
    Sampling(SamplingArgs),
    /// Add the meshtrace init container and sidecar to Kubernetes YAML (like `istioctl kube-inject`).
    Inject(InjectArgs),
    /// Install the REDIRECT rules for transparent mode (like `istio-iptables`).
    Iptables(IptablesArgs),
    /// Print tracing config that points an existing Envoy or Istio mesh at the collector.
    Config(ConfigArgs),
    /// Load generators that measure a component as a whole process (`bench collector`).
    Bench(BenchArgs),
}

/// `meshtrace demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Stop after this long and print a summary (e.g. `30s`, `2m`); runs until Ctrl-C if absent.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Requests per second sent to productpage.
    #[arg(long, default_value_t = 50)]
    pub rps: u32,
    /// Address of the query API / UI.
    #[arg(long, default_value = "127.0.0.1:16686")]
    pub http: SocketAddr,
    /// Also send every kept span to an OTLP backend (e.g. a Jaeger at `grpc://HOST:4317`).
    /// Repeatable.
    #[arg(long = "export", value_name = "URL", value_parser = export_url)]
    pub export: Vec<String>,
}

/// `meshtrace collector`.
#[derive(Debug, Args)]
pub struct CollectorArgs {
    /// A YAML config file: every key of the collector's config (`otlp_grpc`, `store`,
    /// `exporters`, `tail_sampling`, ...; see docs/CONFIG.md). Flags given beat the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// OTLP/gRPC listener [default: 0.0.0.0:4317].
    #[arg(long)]
    pub otlp_grpc: Option<SocketAddr>,
    /// OTLP/HTTP listener (`POST /v1/traces`, protobuf and JSON) [default: 0.0.0.0:4318].
    #[arg(long)]
    pub otlp_http: Option<SocketAddr>,
    /// Zipkin listener (`POST /api/v2/spans`, v2 JSON and protobuf) [default: 0.0.0.0:9411].
    #[arg(long)]
    pub zipkin: Option<SocketAddr>,
    /// HTTP listener: Jaeger query API, web page, control API, metrics [default: 0.0.0.0:16686].
    #[arg(long)]
    pub http: Option<SocketAddr>,
    /// Most traces the embedded store keeps, oldest evicted first [default: 10000].
    #[arg(long)]
    pub store_max_traces: Option<usize>,
    /// Keep traces on disk in DIR so they survive a restart [default: DATA_DIR/store with
    /// --data-dir, else in memory].
    #[arg(long, value_name = "DIR")]
    pub store_dir: Option<std::path::PathBuf>,
    /// Also send every kept span to an OTLP backend: `grpc://HOST:PORT` (OTLP/gRPC) or
    /// `http://HOST:PORT[/PATH]` (OTLP/HTTP protobuf, path `/v1/traces` by default);
    /// `grpcs://` and `https://` over TLS. Repeatable; replaces the file's `exporters` when
    /// given.
    #[arg(long = "export", value_name = "URL", value_parser = export_url)]
    pub export: Vec<String>,
    /// A header sent with every request of every `--export` exporter, e.g.
    /// `authorization=Bearer TOKEN` (gRPC metadata for OTLP/gRPC). Repeatable. Visible to
    /// other local users in the process list: put secrets in the config file's `headers`.
    #[arg(long = "export-header", value_name = "NAME=VALUE", requires = "export")]
    pub export_header: Vec<String>,
    /// Jaeger remote sampling over HTTP (`GET /sampling?service=`) [default: 0.0.0.0:5778].
    #[arg(long)]
    pub sampling_http: Option<SocketAddr>,
    /// Jaeger remote sampling over gRPC (`jaeger.api_v2.SamplingManager`)
    /// [default: 0.0.0.0:5779].
    #[arg(long)]
    pub sampling_grpc: Option<SocketAddr>,
    /// A Jaeger strategies file (`service_strategies`, `default_strategy`), watched for edits.
    #[arg(long, value_name = "FILE")]
    pub strategies: Option<std::path::PathBuf>,
    /// Where applied strategies, every exporter's queue (`DIR/queue/<url>`) and the trace
    /// store (`DIR/store`) persist across restarts and crashes (in memory when absent).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Bearer token required by the control API's writes.
    #[arg(long, env = "MESHTRACE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Refuse new data (429 / UNAVAILABLE, Retry-After) while resident memory is above 80% of
    /// this many MiB [default: off].
    #[arg(long, value_name = "MIB")]
    pub memory_limit_mib: Option<u64>,
    /// Allow a non-loopback `--http` without an admin token (open control API).
    #[arg(long)]
    pub insecure_control: bool,
    /// Tail sampling policies: the OpenTelemetry Collector `tail_sampling` block
    /// (`decision_wait`, `num_traces`, `policies`), YAML or JSON. Without them every trace
    /// is kept.
    #[arg(long, value_name = "FILE")]
    pub tail_policies: Option<std::path::PathBuf>,
    /// Pass-through: receivers straight to the exporters, with no trace store and no latency
    /// aggregation; OTLP/gRPC requests are validated and forwarded as received. Needs
    /// `--export`.
    #[arg(long)]
    pub passthrough: bool,
}

/// Checks an `--export` URL when the flag is parsed, so a bad one is named with its flag.
fn export_url(url: &str) -> Result<String, collector::ExporterConfigError> {
    collector::ExporterConfig::parse(url).map(|_| url.to_owned())
}

/// `meshtrace sidecar`.
#[derive(Debug, Args)]
pub struct SidecarArgs {
    /// `service.name` of the workload.
    #[arg(long)]
    pub service: String,
    /// Where the workload listens (HOST:PORT).
    #[arg(long)]
    pub app: SocketAddr,
    /// Inbound listener.
    #[arg(long, default_value = "0.0.0.0:15006")]
    pub inbound: SocketAddr,
    /// Outbound listener.
    #[arg(long, default_value = "127.0.0.1:15001")]
    pub outbound: SocketAddr,
    /// Admin listener (loopback only).
    #[arg(long, default_value = "127.0.0.1:15000")]
    pub admin: SocketAddr,
    /// Readiness listener.
    #[arg(long, default_value = "0.0.0.0:15021")]
    pub health: SocketAddr,
    /// Prometheus listener (`GET /stats/prometheus`).
    #[arg(long, default_value = "0.0.0.0:15090")]
    pub metrics: SocketAddr,
    /// The collector's OTLP/gRPC address (`grpc://` or `http://` = plaintext).
    #[arg(long, default_value = "grpc://127.0.0.1:4317")]
    pub collector: String,
    /// The collector's `--http` address (`http://HOST:16686`): strategy changes made there
    /// reach this sidecar within a second. Without it `--sampling-probability` stays.
    #[arg(long, value_name = "URL")]
    pub control: Option<String>,
    /// Probability of sampling a trace this sidecar starts.
    #[arg(long, default_value_t = 1.0)]
    pub sampling_probability: f64,
    /// Worker threads for the proxy listeners (each with its own SO_REUSEPORT socket and
    /// upstream pools); default: the number of cores.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Longest wait for an upstream's response headers; then 504 (e.g. `15s`, `500ms`).
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
    pub upstream_timeout: Duration,
    /// Longest wait for a TCP connection to an upstream.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub connect_timeout: Duration,
    /// How long an upstream connection may stay unused in a worker's pool before it is closed
    /// (`0s` reuses none).
    #[arg(long, default_value = "90s", value_parser = humantime::parse_duration)]
    pub upstream_idle_timeout: Duration,
    /// Run behind `meshtrace iptables`: outbound to the original destination (SO_ORIGINAL_DST),
    /// non-HTTP connections passed through as TCP.
    #[arg(long)]
    pub transparent: bool,
    /// Formats injected into forwarded requests, comma-separated (`w3c`, `b3`, `b3multi`,
    /// `jaeger`).
    #[arg(long, value_delimiter = ',', default_value = "w3c,b3multi")]
    pub propagation: Vec<sampler::Format>,
    /// Route templates of the workload, first match wins (`/reviews/{id}`, `/static/{path*}`;
    /// repeatable or comma-separated): requests on one carry `http.route` and their spans are
    /// named `"{METHOD} {template}"`, so latency series stay few.
    #[arg(
        long = "route",
        value_name = "TEMPLATE",
        value_delimiter = ',',
        env = "MESHTRACE_ROUTES"
    )]
    pub routes: Vec<proxy_integration::trace::RouteTemplate>,
}
