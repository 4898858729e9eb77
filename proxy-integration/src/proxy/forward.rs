//! The forwarding path shared by both listeners: trace the request, send it upstream over a
//! pooled keep-alive client, stream the response back. Tracing never fails a request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::Destination;
use crate::listener::{ProxyBody, full_body};
use crate::metrics::{RedMetrics, StatusClass};
use crate::stats::Stats;
use crate::trace::{Direction, Outcome, Peer, Tracer};

/// The pooled HTTP/1.1 client to upstreams.
pub type UpstreamClient = Client<HttpConnector, Incoming>;

/// A keep-alive pooled client shared by a sidecar's listeners.
pub fn upstream_client() -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Hop-by-hop headers (RFC 9110 7.6.1) a proxy must not forward.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named in `Connection` are hop-by-hop too.
    let named: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|n| n.trim().to_ascii_lowercase()))
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
}

/// One listener's forwarding setup.
#[derive(Debug)]
pub struct Forwarder {
    direction: Direction,
    destination: Destination,
    client: UpstreamClient,
    tracer: Arc<Tracer>,
    stats: Arc<Stats>,
    red: Arc<RedMetrics>,
}

impl Forwarder {
    /// A forwarder for one direction.
    pub fn new(
        direction: Direction,
        destination: Destination,
        client: UpstreamClient,
        tracer: Arc<Tracer>,
        stats: Arc<Stats>,
        red: Arc<RedMetrics>,
    ) -> Self {
        Self {
            direction,
            destination,
            client,
            tracer,
            stats,
            red,
        }
    }

    /// Proxies one request from `peer`, recording its RED metrics whatever the sampling.
    pub async fn handle(
        &self,
        peer: SocketAddr,
        request: Request<Incoming>,
    ) -> Response<ProxyBody> {
        Stats::incr(&self.stats.requests);
        let started = Instant::now();
        let (response, class) = self.forward(peer, request).await;
        self.red.record(self.direction, class, started.elapsed());
        response
    }

    async fn forward(
        &self,
        peer: SocketAddr,
        mut request: Request<Incoming>,
    ) -> (Response<ProxyBody>, StatusClass) {
        let authority = match self.destination.resolve(&request) {
            Ok(authority) => authority,
            Err(e) => {
                return (
                    error_response(StatusCode::BAD_REQUEST, e.to_string()),
                    StatusClass::ClientError,
                );
            }
        };
        let path = request.uri().path().to_owned();
        let peer_host = peer.ip().to_string();
        let recorded_peer = match self.direction {
            Direction::Inbound => Peer {
                host: &peer_host,
                port: Some(peer.port()),
            },
            Direction::Outbound => Peer {
                host: authority.host(),
                port: authority.port_u16(),
            },
        };
        let method = request.method().clone();
        let span = self.tracer.start(
            self.direction,
            &method,
            &path,
            recorded_peer,
            request.headers_mut(),
        );

        strip_hop_by_hop(request.headers_mut());
        *request.uri_mut() = match upstream_uri(authority, request.uri()) {
            Ok(uri) => uri,
            Err(e) => {
                return (
                    error_response(StatusCode::BAD_REQUEST, e.to_string()),
                    StatusClass::ClientError,
                );
            }
        };
        match self.client.request(request).await {
            Ok(mut response) => {
                let code = response.status().as_u16();
                self.tracer.finish(span, Outcome::Response(code));
                strip_hop_by_hop(response.headers_mut());
                (response.map(BodyExt::boxed), StatusClass::of(code))
            }
            Err(e) => {
                Stats::incr(&self.stats.upstream_errors);
                let message = format!("upstream unavailable: {e}");
                self.tracer
                    .finish(span, Outcome::TransportError(message.clone()));
                (
                    error_response(StatusCode::BAD_GATEWAY, message),
                    StatusClass::TransportError,
                )
            }
        }
    }
}

fn upstream_uri(authority: Authority, original: &Uri) -> Result<Uri, http::Error> {
    let path = original
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    Uri::builder()
        .scheme(Scheme::HTTP)
        .authority(authority)
        .path_and_query(path)
        .build()
}

fn error_response(status: StatusCode, message: String) -> Response<ProxyBody> {
    let mut response = Response::new(full_body(message));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut h = HeaderMap::new();
        h.insert("connection", "keep-alive, x-custom".parse().unwrap());
        h.insert("x-custom", "1".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("traceparent", "kept".parse().unwrap());
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("traceparent"));
    }

    #[test]
    fn upstream_uri_keeps_path_and_query() {
        let a: Authority = "127.0.0.1:9080".parse().unwrap();
        let uri = upstream_uri(a, &"/reviews/1?x=2".parse().unwrap()).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9080/reviews/1?x=2");
    }
}
