//! The pooled keep-alive clients to upstreams. A request leaves with the HTTP version it
//! arrived with: HTTP/1.x over the HTTP/1.1 pool, HTTP/2 (h2c, prior knowledge, so gRPC
//! works) over the HTTP/2 pool. Like Envoy, the sidecar does not translate between versions.

use std::time::Duration;

use http::{Request, Response, Version};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, Error};
use hyper_util::rt::TokioExecutor;

/// The upstream clients shared by a sidecar's listeners (cheap to clone).
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    http1: Client<HttpConnector, Incoming>,
    http2: Client<HttpConnector, Incoming>,
}

/// Builds both pools; connecting to an upstream gives up after `connect_timeout`.
pub fn upstream_client(connect_timeout: Duration) -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    let http1 = Client::builder(TokioExecutor::new()).build(connector.clone());
    let http2 = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(connector);
    UpstreamClient { http1, http2 }
}

impl UpstreamClient {
    /// Sends `request` over the pool matching its version.
    pub async fn send(&self, request: Request<Incoming>) -> Result<Response<Incoming>, Error> {
        match request.version() {
            Version::HTTP_2 => self.http2.request(request).await,
            _ => self.http1.request(request).await,
        }
    }
}
