//! `meshtrace sampling`: reads and changes sampling through the collector's control API and
//! prints the collector's answer (JSON).

use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use super::CommandError;
use crate::cli::{SamplingAction, SamplingArgs};

/// Runs one sampling action.
pub async fn run(args: SamplingArgs) -> Result<(), CommandError> {
    let base = args.collector.trim_end_matches('/').to_owned();
    let (method, path, body) = match args.action {
        SamplingAction::List => (Method::GET, "/api/v1/sampling".to_owned(), None),
        SamplingAction::Get { service } => (Method::GET, service_path(&service), None),
        SamplingAction::Delete { service } => (Method::DELETE, service_path(&service), None),
        SamplingAction::Set {
            service,
            probability,
            rate,
            operations,
        } => {
            let entry = entry(&service, probability, rate, &operations)?;
            (
                Method::PUT,
                service_path(&service),
                Some(entry.to_string().into_bytes()),
            )
        }
        SamplingAction::Apply { file } => (
            Method::PUT,
            "/api/v1/sampling".to_owned(),
            Some(document_as_json(&file)?),
        ),
        SamplingAction::Tail { file: None } => {
            (Method::GET, "/api/v1/sampling/tail".to_owned(), None)
        }
        SamplingAction::Tail { file: Some(file) } => (
            Method::PUT,
            "/api/v1/sampling/tail".to_owned(),
            Some(read(&file)?),
        ),
    };
    let answer = send(&base, method, &path, args.token.as_deref(), body).await?;
    outln!("{answer}");
    Ok(())
}

fn service_path(service: &str) -> String {
    let encoded: String =
        percent_encoding::utf8_percent_encode(service, percent_encoding::NON_ALPHANUMERIC)
            .collect();
    format!("/api/v1/sampling/services/{encoded}")
}

/// The strategies-file entry for `set`.
fn entry(
    service: &str,
    probability: Option<f64>,
    rate: Option<f64>,
    operations: &[String],
) -> Result<Value, CommandError> {
    let (kind, param) = match (probability, rate) {
        (Some(p), None) => ("probabilistic", p),
        (None, Some(r)) => ("ratelimiting", r),
        _ => {
            return Err(CommandError::Sampling(
                "set needs --probability P or --rate N".into(),
            ));
        }
    };
    let mut per_operation = Vec::new();
    for op in operations {
        let (name, p) = op
            .rsplit_once('=')
            .and_then(|(name, p)| Some((name, p.parse::<f64>().ok()?)))
            .ok_or_else(|| {
                CommandError::Sampling(format!(
                    "--operation {op:?}: expected OPERATION=PROBABILITY"
                ))
            })?;
        per_operation.push(json!({"operation": name, "type": "probabilistic", "param": p}));
    }
    let mut entry = json!({"service": service, "type": kind, "param": param});
    if !per_operation.is_empty() {
        entry["operation_strategies"] = Value::Array(per_operation);
    }
    Ok(entry)
}

fn read(file: &Path) -> Result<Vec<u8>, CommandError> {
    let fail =
        |e: std::io::Error| CommandError::Sampling(format!("cannot read {}: {e}", file.display()));
    if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(fail)?;
        return Ok(bytes);
    }
    std::fs::read(file).map_err(fail)
}

/// A strategies file (JSON or YAML) as the JSON the control API takes.
fn document_as_json(file: &Path) -> Result<Vec<u8>, CommandError> {
    let text = String::from_utf8(read(file)?)
        .map_err(|_| CommandError::Sampling(format!("{} is not UTF-8", file.display())))?;
    let value: Value = serde_yaml_ng::from_str(&text)
        .map_err(|e| CommandError::Sampling(format!("{}: {e}", file.display())))?;
    Ok(value.to_string().into_bytes())
}

async fn send(
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> Result<String, CommandError> {
    let url = format!("{base}{path}");
    let mut request = Request::builder()
        .method(method)
        .uri(&url)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| CommandError::Sampling(format!("--collector {base:?}: {e}")))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.map_err(|e| {
        CommandError::Sampling(format!("cannot reach the collector at {base}: {e}"))
    })?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| CommandError::Sampling(format!("reading the collector's answer: {e}")))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let pretty = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    if status.is_success() {
        Ok(pretty)
    } else {
        let message = serde_json::from_str::<Value>(&pretty)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| pretty.replace('\n', " "));
        Err(CommandError::Sampling(format!(
            "{} {}: {message}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )))
    }
}
