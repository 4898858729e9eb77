//! The pooled hyper client both exporters send with: plain TCP for `grpc://` and `http://`,
//! rustls for `grpcs://` and `https://` (HTTP/2 by ALPN for gRPC, HTTP/1.1 for OTLP/HTTP).

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, Error};
use hyper_util::rt::TokioExecutor;

use super::retry::AttemptError;
use super::tls::{ExportTls, is_trust_failure};

/// Which HTTP version the exporter speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.1 (OTLP/HTTP).
    Http1,
    /// HTTP/2 only (OTLP/gRPC).
    Http2,
}

/// A connection pool to one backend; connects on first use.
#[derive(Debug, Clone)]
pub enum Pool {
    /// Cleartext.
    Plain(Client<HttpConnector, Full<Bytes>>),
    /// TLS; only `https` URIs are sent.
    Tls(Client<HttpsConnector<HttpConnector>, Full<Bytes>>),
}

impl Pool {
    /// A pool speaking `version`, over TLS when `tls` is given.
    pub fn new(tls: Option<&ExportTls>, version: Version, connect_timeout: Duration) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.set_connect_timeout(Some(connect_timeout));
        tcp.set_nodelay(true);
        let mut builder = Client::builder(TokioExecutor::new());
        builder.http2_only(version == Version::Http2);
        let Some(tls) = tls else {
            return Pool::Plain(builder.build(tcp));
        };
        // The TCP connector sees `https` URIs too; the TLS layer above it insists on them.
        tcp.enforce_http(false);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls.client_config())
            .https_only();
        let connector = match version {
            Version::Http1 => https.enable_http1().wrap_connector(tcp),
            Version::Http2 => https.enable_http2().wrap_connector(tcp),
        };
        Pool::Tls(builder.build(connector))
    }

    /// Sends one request.
    pub async fn request(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, Error> {
        match self {
            Pool::Plain(client) => client.request(request).await,
            Pool::Tls(client) => client.request(request).await,
        }
    }
}

/// A request that got no answer: retryable, unless a certificate was not trusted (the same
/// certificate will not be trusted on the next try either).
pub fn failed(protocol: &str, err: &hyper_util::client::legacy::Error) -> AttemptError {
    let reason = format!("{protocol} request failed: {}", describe(err));
    if is_trust_failure(err) {
        AttemptError::Permanent { reason }
    } else {
        AttemptError::Retryable {
            reason,
            retry_after: None,
        }
    }
}

/// The error and its causes on one line: hyper's own message is only "client error
/// (Connect)", the useful part (refused, certificate unknown...) is underneath.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
