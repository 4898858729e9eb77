//! `meshtrace collector`.

use std::path::Path;

use collector::config::Secret;
use collector::{CollectorConfig, StoreConfig};
use sampler::tail::TailPolicyDocument;

use super::{CommandError, shutdown_signal};
use crate::cli::CollectorArgs;
use crate::listening::announce;

/// Starts the collector and runs until a shutdown signal.
pub async fn run(args: CollectorArgs) -> Result<(), CommandError> {
    let tail_sampling = match &args.tail_policies {
        Some(path) => read_tail_policies(path)?,
        None => TailPolicyDocument::default(),
    };
    let config = CollectorConfig {
        tail_sampling,
        otlp_grpc: args.otlp_grpc,
        otlp_http: args.otlp_http,
        zipkin: args.zipkin,
        http: args.http,
        store: StoreConfig {
            max_traces: args.store_max_traces,
            ..StoreConfig::default()
        },
        exporters: args.export,
        sampling_http: args.sampling_http,
        sampling_grpc: args.sampling_grpc,
        strategies: args.strategies,
        data_dir: args.data_dir,
        admin_token: args.admin_token.map(Secret),
        ..CollectorConfig::default()
    };
    let running = collector::start(config).await?;
    announce("collector", "otlp-grpc", running.otlp_grpc_addr());
    announce("collector", "otlp-http", running.otlp_http_addr());
    announce("collector", "zipkin", running.zipkin_addr());
    announce("collector", "http", running.http_addr());
    announce("collector", "sampling-http", running.sampling_http_addr());
    announce("collector", "sampling-grpc", running.sampling_grpc_addr());
    let waited = shutdown_signal().await;
    running.shutdown().await;
    waited
}

/// Reads a tail policy document (YAML, which includes JSON).
fn read_tail_policies(path: &Path) -> Result<TailPolicyDocument, CommandError> {
    let fail = |message: String| CommandError::TailPolicies {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| fail(e.to_string()))
}
