//! `meshtrace collector`.

use std::path::Path;

use std::collections::BTreeMap;

use collector::config::Secret;
use collector::{CollectorConfig, ExporterSettings};

use super::{CommandError, shutdown_signal};
use crate::cli::CollectorArgs;
use crate::listening::announce;

/// The config: the file's (or the defaults), then every flag given on top.
fn config(args: CollectorArgs) -> Result<CollectorConfig, CommandError> {
    let mut config = match &args.config {
        Some(path) => read_config(path)?,
        None => CollectorConfig::default(),
    };
    config.tail_policies = args.tail_policies.or(config.tail_policies);
    let set = |slot: &mut _, value: Option<_>| {
        if let Some(value) = value {
            *slot = value;
        }
    };
    set(&mut config.otlp_grpc, args.otlp_grpc);
    set(&mut config.otlp_http, args.otlp_http);
    set(&mut config.zipkin, args.zipkin);
    set(&mut config.http, args.http);
    set(&mut config.sampling_http, args.sampling_http);
    set(&mut config.sampling_grpc, args.sampling_grpc);
    if let Some(max) = args.store_max_traces {
        config.store.max_traces = max;
    }
    if let Some(dir) = args.store_dir {
        // A directory on the command line means disk, whatever the file's backend says.
        config.store.dir = Some(dir);
        config.store.backend = collector::config::StoreBackend::Disk;
    }
    if !args.export.is_empty() {
        let headers = export_headers(&args.export_header)?;
        config.exporters = args
            .export
            .into_iter()
            .map(|url| ExporterSettings {
                headers: headers.clone(),
                ..ExporterSettings::from_url(url)
            })
            .collect();
    }
    config.strategies = args.strategies.or(config.strategies);
    config.data_dir = args.data_dir.or(config.data_dir);
    config.admin_token = args.admin_token.map(Secret).or(config.admin_token);
    config.insecure_control |= args.insecure_control;
    config.passthrough |= args.passthrough;
    if let Some(limit) = args.memory_limit_mib {
        config.memory_limiter.limit_mib = limit;
    }
    Ok(config)
}

/// `--export-header NAME=VALUE` flags as a map; names and values are checked with the
/// exporters at start. The error never repeats the flag, which may hold a secret.
fn export_headers(flags: &[String]) -> Result<BTreeMap<String, String>, CommandError> {
    flags
        .iter()
        .enumerate()
        .map(|(index, flag)| {
            flag.split_once('=')
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .ok_or(CommandError::ExportHeader(index + 1))
        })
        .collect()
}

/// Starts the collector and runs until a shutdown signal.
pub async fn run(args: CollectorArgs) -> Result<(), CommandError> {
    let config = config(args)?;
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

/// Reads the config file, flat or grouped (`collector::parse_config`); errors name the
/// file, the key and the line.
fn read_config(path: &Path) -> Result<CollectorConfig, CommandError> {
    let fail = |message: String| CommandError::ConfigFile {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    collector::parse_config(&text).map_err(|e| fail(e.to_string()))
}
