//! `meshtrace sampling`: reads and changes sampling through the collector's control API.
//! Tables by default, the collector's JSON with `--json`.

mod client;
mod render;

use std::io::Read;
use std::path::Path;

use collector::strategy::{OperationEntry, ServiceEntry, StrategyKind};
use http::Method;
use serde_json::Value;

use super::CommandError;
use crate::cli::{SamplingAction, SamplingArgs, TailAction};
use client::ControlClient;

const SAMPLING: &str = "/api/v1/sampling";
const TAIL: &str = "/api/v1/sampling/tail";

fn service_path(service: &str) -> String {
    let encoded: String =
        percent_encoding::utf8_percent_encode(service, percent_encoding::NON_ALPHANUMERIC)
            .collect();
    format!("{SAMPLING}/services/{encoded}")
}

fn fail(message: impl Into<String>) -> CommandError {
    CommandError::Sampling(message.into())
}

/// Runs one sampling action.
pub async fn run(args: SamplingArgs) -> Result<(), CommandError> {
    let client = ControlClient::new(&args.collector, args.token);
    let json = args.json;
    let answer = match args.action {
        SamplingAction::List => {
            let all = client
                .send(Method::GET, SAMPLING, None)
                .await?
                .unwrap_or_default();
            render::strategies(&all, json)
        }
        SamplingAction::Get { service } => match client
            .send(Method::GET, &service_path(&service), None)
            .await?
        {
            Some(entry) => render::entry(&entry, json),
            None => format!(
                "{service} has no strategy of its own: it uses the default (see `meshtrace sampling list`)"
            ),
        },
        SamplingAction::Set {
            service,
            operation,
            probability,
            per_second,
        } => {
            let entry =
                updated_entry(&client, &service, operation, probability, per_second).await?;
            let body = serde_json::to_vec(&entry).map_err(|e| fail(e.to_string()))?;
            let answer = client
                .send(Method::PUT, &service_path(&service), Some(body))
                .await?;
            render::change(&answer.unwrap_or_default(), json)
        }
        SamplingAction::Unset {
            service,
            operation: None,
        } => {
            let answer = client
                .send(Method::DELETE, &service_path(&service), None)
                .await?;
            render::change(&answer.unwrap_or_default(), json)
        }
        SamplingAction::Unset {
            service,
            operation: Some(operation),
        } => {
            let mut entry = current_entry(&client, &service)
                .await?
                .ok_or_else(|| fail(format!("{service} has no strategy of its own")))?;
            entry
                .operation_strategies
                .retain(|o| o.operation != operation);
            let body = serde_json::to_vec(&entry).map_err(|e| fail(e.to_string()))?;
            let answer = client
                .send(Method::PUT, &service_path(&service), Some(body))
                .await?;
            render::change(&answer.unwrap_or_default(), json)
        }
        SamplingAction::Apply { file } => {
            let answer = client
                .send(Method::PUT, SAMPLING, Some(yaml_as_json(&file)?))
                .await?;
            render::strategies(&answer.unwrap_or_default(), json)
        }
        SamplingAction::Tail {
            action: TailAction::Get,
        } => {
            let document = client
                .send(Method::GET, TAIL, None)
                .await?
                .unwrap_or_default();
            render::tail(&document, json)
        }
        SamplingAction::Tail {
            action: TailAction::Apply { file },
        } => {
            let document = client
                .send(Method::PUT, TAIL, Some(read(&file)?))
                .await?
                .unwrap_or_default();
            render::tail(&document, json)
        }
    };
    outln!("{answer}");
    Ok(())
}

async fn current_entry(
    client: &ControlClient,
    service: &str,
) -> Result<Option<ServiceEntry>, CommandError> {
    match client
        .send(Method::GET, &service_path(service), None)
        .await?
    {
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|e| fail(format!("unexpected answer: {e}"))),
        None => Ok(None),
    }
}

/// The entry `set` writes: the service's strategy replaced, or one operation's probability
/// set within it (creating the entry, from the default strategy, for a new service).
async fn updated_entry(
    client: &ControlClient,
    service: &str,
    operation: Option<String>,
    probability: Option<f64>,
    per_second: Option<f64>,
) -> Result<ServiceEntry, CommandError> {
    let top = match (probability, per_second) {
        (Some(p), None) => (StrategyKind::Probabilistic, p),
        (None, Some(n)) => (StrategyKind::Ratelimiting, n),
        _ => return Err(fail("set needs --probability P or --per-second N")),
    };
    let Some(operation) = operation else {
        let existing = current_entry(client, service).await?;
        let operations = existing.map(|e| e.operation_strategies).unwrap_or_default();
        return Ok(ServiceEntry {
            service: service.to_owned(),
            kind: top.0,
            param: top.1,
            operation_strategies: operations,
        });
    };
    let mut entry = match current_entry(client, service).await? {
        Some(entry) => entry,
        None => {
            let all = client
                .send(Method::GET, SAMPLING, None)
                .await?
                .unwrap_or(Value::Null);
            let default: Option<ServiceEntry> =
                serde_json::from_value(all["strategies"]["default_strategy"].clone()).ok();
            let (kind, param) = default.map_or(
                (
                    StrategyKind::Probabilistic,
                    collector::strategy::JAEGER_DEFAULT_PROBABILITY,
                ),
                |d| (d.kind, d.param),
            );
            ServiceEntry {
                service: service.to_owned(),
                kind,
                param,
                operation_strategies: Vec::new(),
            }
        }
    };
    entry
        .operation_strategies
        .retain(|o| o.operation != operation);
    entry.operation_strategies.push(OperationEntry {
        operation,
        kind: StrategyKind::Probabilistic,
        param: top.1,
    });
    Ok(entry)
}

fn read(file: &Path) -> Result<Vec<u8>, CommandError> {
    let failed = |e: std::io::Error| fail(format!("cannot read {}: {e}", file.display()));
    if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(failed)?;
        return Ok(bytes);
    }
    std::fs::read(file).map_err(failed)
}

/// A strategies file (JSON or YAML) as the JSON the control API takes.
fn yaml_as_json(file: &Path) -> Result<Vec<u8>, CommandError> {
    let text = String::from_utf8(read(file)?)
        .map_err(|_| fail(format!("{} is not UTF-8", file.display())))?;
    let value: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| fail(format!("{}: {e}", file.display())))?;
    Ok(value.to_string().into_bytes())
}
