//! One long-poll of the collector's control API:
//! `GET {control}/api/v1/sampling/watch?service=S&version=N&timeout=30s`, answered with
//! `{"version": V, "strategy": <Jaeger SamplingStrategyResponse> | null}` when the collector's
//! version is not `N`, or once it changes, or after the timeout (collector `control/watch.rs`).

use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http::uri::{Authority, PathAndQuery};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sampler::strategy::SamplingStrategyResponse;
use serde::Deserialize;

/// How long the collector is asked to hold a poll.
pub const WATCH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the client waits for an answer before giving up on the connection (the watch
/// timeout plus room for a slow network).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);
/// Largest answer read.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Characters kept as they are in a query value (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why `--control` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// Not a URL.
    #[error("invalid --control URL {url:?}: {reason}")]
    InvalidUrl {
        /// As given.
        url: String,
        /// Why.
        reason: String,
    },
    /// A scheme other than `http`.
    #[error("--control URL {0:?}: only http:// is supported")]
    UnsupportedScheme(String),
    /// No service name to ask for.
    #[error("remote sampling needs a service name")]
    EmptyService,
}

/// The collector's answer to a watch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WatchResponse {
    /// The collector's strategies version.
    pub version: u64,
    /// The service's strategy; `None` when the collector has nothing configured for it.
    pub strategy: Option<SamplingStrategyResponse>,
}

/// Why one poll failed (the poller logs it and backs off).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Connecting or exchanging failed.
    #[error("cannot reach the collector: {0}")]
    Transport(String),
    /// No answer within [`REQUEST_TIMEOUT`].
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A status other than 200.
    #[error("collector answered {0}")]
    Status(http::StatusCode),
    /// An answer that is not a watch response.
    #[error("invalid answer: {0}")]
    Body(String),
}

/// The long-poll client of one sidecar.
#[derive(Debug, Clone)]
pub struct WatchClient {
    client: Client<HttpConnector, Empty<Bytes>>,
    authority: Authority,
    prefix: String,
    service: String,
}

impl WatchClient {
    /// A client of the control API at `control_url` (`http://HOST:PORT`, optionally with a
    /// path prefix; `HOST:PORT` alone means http) for `service`.
    pub fn new(control_url: &str, service: &str) -> Result<Self, RemoteError> {
        if service.is_empty() {
            return Err(RemoteError::EmptyService);
        }
        let invalid = |reason: String| RemoteError::InvalidUrl {
            url: control_url.to_owned(),
            reason,
        };
        let with_scheme = if control_url.contains("://") {
            control_url.to_owned()
        } else {
            format!("http://{control_url}")
        };
        let uri: Uri = with_scheme.parse().map_err(|e| invalid(format!("{e}")))?;
        if uri.scheme_str() != Some("http") {
            return Err(RemoteError::UnsupportedScheme(control_url.to_owned()));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| invalid("no host".to_owned()))?;
        if uri.query().is_some() {
            return Err(invalid("a query string is not allowed".to_owned()));
        }
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            authority,
            prefix: uri.path().trim_end_matches('/').to_owned(),
            service: service.to_owned(),
        })
    }

    /// The watch URI for a caller holding `version`.
    pub fn watch_uri(&self, version: Option<u64>) -> Result<Uri, http::Error> {
        let mut path = format!(
            "{}/api/v1/sampling/watch?service={}&timeout={}s",
            self.prefix,
            utf8_percent_encode(&self.service, QUERY_VALUE),
            WATCH_TIMEOUT.as_secs()
        );
        if let Some(version) = version {
            path.push_str(&format!("&version={version}"));
        }
        Uri::builder()
            .scheme("http")
            .authority(self.authority.clone())
            .path_and_query(PathAndQuery::try_from(path)?)
            .build()
    }

    /// One poll.
    pub async fn poll(&self, version: Option<u64>) -> Result<WatchResponse, PollError> {
        let uri = self
            .watch_uri(version)
            .map_err(|e| PollError::Body(e.to_string()))?;
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| PollError::Body(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| PollError::Transport(e.to_string()))?;
            if response.status() != http::StatusCode::OK {
                return Err(PollError::Status(response.status()));
            }
            Limited::new(response.into_body(), MAX_BODY_BYTES)
                .collect()
                .await
                .map(|body| body.to_bytes())
                .map_err(|e| PollError::Transport(e.to_string()))
        };
        let body = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| PollError::Timeout(REQUEST_TIMEOUT))??;
        serde_json::from_slice(&body).map_err(|e| PollError::Body(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_built() {
        let client = WatchClient::new("http://collector:16686/", "reviews v2").unwrap();
        assert_eq!(
            client.watch_uri(None).unwrap().to_string(),
            "http://collector:16686/api/v1/sampling/watch?service=reviews%20v2&timeout=30s"
        );
        let client = WatchClient::new("127.0.0.1:1/prefix", "a&b").unwrap();
        assert_eq!(
            client.watch_uri(Some(7)).unwrap().to_string(),
            "http://127.0.0.1:1/prefix/api/v1/sampling/watch?service=a%26b&timeout=30s&version=7"
        );
        assert_eq!(
            WatchClient::new("https://c:1", "s").unwrap_err(),
            RemoteError::UnsupportedScheme("https://c:1".into())
        );
        assert_eq!(
            WatchClient::new("http://c:1", "").unwrap_err(),
            RemoteError::EmptyService
        );
        for bad in ["http://", "http://c:1/?x=1", "ht tp://x"] {
            assert!(WatchClient::new(bad, "s").is_err(), "{bad}");
        }
    }
}
