//! The HTTP side of `meshtrace sampling`: one request to the control API, its JSON answer,
//! and the collector's error message as one line when it refuses.

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::commands::CommandError;

/// A control API at one collector.
pub struct ControlClient {
    base: String,
    token: Option<String>,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl ControlClient {
    /// A client of the collector at `base` (its `--http` address).
    pub fn new(base: &str, token: Option<String>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends `body` to `path`; `Ok(None)` for a 404, the JSON answer otherwise.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Option<Value>, CommandError> {
        let fail = |message: String| CommandError::Sampling(message);
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| fail(format!("--collector {:?}: {e}", self.base)))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| fail(format!("cannot reach the collector at {}: {e}", self.base)))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(format!("reading the collector's answer: {e}")))?
            .to_bytes();
        let json = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let message = json["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).replace('\n', " "));
            return Err(fail(format!(
                "{} {}: {message}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )));
        }
        Ok(Some(json))
    }
}
