//! `meshtrace collector`.

use collector::{CollectorConfig, StoreConfig};

use super::{CommandError, shutdown_signal};
use crate::cli::CollectorArgs;
use crate::listening::announce;

/// Starts the collector and runs until a shutdown signal.
pub async fn run(args: CollectorArgs) -> Result<(), CommandError> {
    let config = CollectorConfig {
        otlp_grpc: args.otlp_grpc,
        otlp_http: args.otlp_http,
        zipkin: args.zipkin,
        http: args.http,
        store: StoreConfig {
            max_traces: args.store_max_traces,
            ..StoreConfig::default()
        },
        ..CollectorConfig::default()
    };
    let running = collector::start(config).await?;
    announce("collector", "otlp-grpc", running.otlp_grpc_addr());
    announce("collector", "otlp-http", running.otlp_http_addr());
    announce("collector", "zipkin", running.zipkin_addr());
    announce("collector", "http", running.http_addr());
    let waited = shutdown_signal().await;
    running.shutdown().await;
    waited
}
