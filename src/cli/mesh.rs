//! Flags of the commands that switch tracing on in a mesh: `iptables`, `inject`, `config`.
//! Defaults come from `proxy_integration::mesh`, so the injector and the CLI agree.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use proxy_integration::mesh::config::{CollectorAddr, SamplingPercent};
use proxy_integration::mesh::inject::options::{DEFAULT_COLLECTOR, DEFAULT_IMAGE};
use proxy_integration::mesh::iptables::options::{
    DEFAULT_EXCLUDE_INBOUND_PORTS, DEFAULT_INBOUND_CAPTURE_PORT, DEFAULT_PROXY_PORT,
    DEFAULT_PROXY_UID,
};
use proxy_integration::mesh::iptables::{InboundPorts, PortList};

/// `meshtrace iptables`: the flags of Istio's `istio-iptables` that apply to REDIRECT mode.
#[derive(Debug, Args)]
pub struct IptablesArgs {
    /// Port outbound TCP is redirected to (the sidecar's outbound listener).
    #[arg(short = 'p', long, default_value_t = DEFAULT_PROXY_PORT)]
    pub proxy_port: u16,
    /// Port inbound TCP is redirected to (the sidecar's inbound listener).
    #[arg(short = 'z', long, default_value_t = DEFAULT_INBOUND_CAPTURE_PORT)]
    pub inbound_capture_port: u16,
    /// Uid of the proxy: its own traffic is never redirected.
    #[arg(short = 'u', long, default_value_t = DEFAULT_PROXY_UID)]
    pub proxy_uid: u32,
    /// Gid of the proxy, also excluded when given.
    #[arg(short = 'g', long)]
    pub proxy_gid: Option<u32>,
    /// Inbound ports to capture: `*` for all, or a comma-separated list (empty = none).
    #[arg(short = 'b', long, default_value = "*")]
    pub inbound_ports: InboundPorts,
    /// Inbound ports never captured when `--inbound-ports` is `*`.
    #[arg(short = 'd', long, default_value = DEFAULT_EXCLUDE_INBOUND_PORTS)]
    pub exclude_inbound_ports: PortList,
    /// Outbound destination ports never captured, comma-separated.
    #[arg(short = 'o', long, default_value = "")]
    pub exclude_outbound_ports: PortList,
    /// Print what would be run (the `iptables-restore` input) instead of running it.
    #[arg(long)]
    pub dry_run: bool,
    /// Remove the MESHTRACE_* chains and the jumps to them instead of installing.
    #[arg(long)]
    pub cleanup: bool,
}

/// `meshtrace inject`.
#[derive(Debug, Args)]
pub struct InjectArgs {
    /// Kubernetes YAML to inject (`-` = standard input); the result goes to standard output.
    #[arg(short = 'f', long = "filename")]
    pub file: PathBuf,
    /// Image of the init and sidecar containers.
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// The collector's OTLP/gRPC address, passed to every sidecar.
    #[arg(long, default_value = DEFAULT_COLLECTOR)]
    pub collector: String,
    /// The app's port behind the sidecar; default: the first `containerPort` of the pod.
    #[arg(long)]
    pub app_port: Option<u16>,
}

/// `meshtrace config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Which mesh to print config for.
    #[command(subcommand)]
    pub target: ConfigTarget,
}

/// The meshes `meshtrace config` can point at the collector.
#[derive(Debug, Subcommand)]
pub enum ConfigTarget {
    /// A static Envoy bootstrap fragment: the OpenTelemetry tracer and its collector cluster.
    Envoy(ConfigTargetArgs),
    /// Istio MeshConfig `extensionProviders` and a Telemetry resource.
    Istio(ConfigTargetArgs),
}

/// Flags shared by `config envoy` and `config istio`.
#[derive(Debug, Args)]
pub struct ConfigTargetArgs {
    /// The collector's OTLP/gRPC address, HOST:PORT.
    #[arg(long)]
    pub collector: CollectorAddr,
    /// Percentage of requests traced (0-100).
    #[arg(long, default_value = "1")]
    pub sampling: SamplingPercent,
}
