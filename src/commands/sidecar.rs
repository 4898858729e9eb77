//! `meshtrace sidecar`.

use proxy_integration::SidecarConfig;

use super::{CommandError, shutdown_signal};
use crate::cli::SidecarArgs;
use crate::listening::announce;

/// Starts the sidecar and runs until a shutdown signal.
pub async fn run(args: SidecarArgs) -> Result<(), CommandError> {
    let defaults = SidecarConfig::new(args.service, args.app);
    let config = SidecarConfig {
        concurrency: args.concurrency.unwrap_or(defaults.concurrency),
        inbound: args.inbound,
        outbound: args.outbound,
        admin: args.admin,
        health: args.health,
        metrics: args.metrics,
        transparent: args.transparent,
        upstream_timeout: args.upstream_timeout,
        connect_timeout: args.connect_timeout,
        upstream_idle_timeout: args.upstream_idle_timeout,
        collector: args.collector,
        control: args.control,
        sampling_probability: args.sampling_probability,
        propagation: args.propagation,
        routes: args.routes,
        ..defaults
    };
    let running = proxy_integration::start(config).await?;
    announce("sidecar", "inbound", running.inbound);
    announce("sidecar", "outbound", running.outbound);
    announce("sidecar", "admin", running.admin);
    announce("sidecar", "health", running.health);
    announce("sidecar", "metrics", running.metrics);
    let waited = shutdown_signal().await;
    running.shutdown().await;
    waited
}
