//! The forwarding path shared by both listeners: trace the request, send it upstream over a
//! pooled keep-alive client in the version it arrived with, stream the response back (and
//! splice upgraded connections). Tracing never fails a request.

use std::sync::Arc;
use std::time::Instant;

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::headers::{strip_hop_by_hop, upgrade_requested};
use super::{Destination, UpstreamClient, upgrade};
use crate::listener::{ConnInfo, ProxyBody, full_body};
use crate::metrics::{RedMetrics, StatusClass};
use crate::stats::Stats;
use crate::trace::{Direction, Outcome, Peer, Tracer};

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
    pub async fn handle(&self, conn: ConnInfo, request: Request<Incoming>) -> Response<ProxyBody> {
        Stats::incr(&self.stats.requests);
        let started = Instant::now();
        let (response, class) = self.forward(conn, request).await;
        self.red.record(self.direction, class, started.elapsed());
        response
    }

    async fn forward(
        &self,
        conn: ConnInfo,
        mut request: Request<Incoming>,
    ) -> (Response<ProxyBody>, StatusClass) {
        let peer = conn.peer;
        let authority = match self.destination.resolve(&request, conn.original_dst) {
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

        let upgrade = upgrade_requested(request.headers());
        strip_hop_by_hop(request.headers_mut(), upgrade.as_ref());
        *request.uri_mut() = match upstream_uri(authority, request.uri()) {
            Ok(uri) => uri,
            Err(e) => {
                let response = error_response(StatusCode::BAD_REQUEST, e.to_string());
                return (response, StatusClass::ClientError);
            }
        };
        // Taken before the request moves into the client; resolves once the downstream
        // connection has sent our 101 answer.
        let downstream_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        match self.client.send(request).await {
            Ok(mut response) => {
                let code = response.status().as_u16();
                self.tracer.finish(span, Outcome::Response(code));
                let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
                let upgraded = upgrade.filter(|_| switching);
                if let (Some(_), Some(downstream)) = (&upgraded, downstream_upgrade) {
                    upgrade::splice(downstream, hyper::upgrade::on(&mut response));
                }
                strip_hop_by_hop(response.headers_mut(), upgraded.as_ref());
                (response.map(BodyExt::boxed), StatusClass::of(code))
            }
            Err(e) => {
                Stats::incr(&self.stats.upstream_errors);
                let message = format!("upstream unavailable: {e}");
                self.tracer
                    .finish(span, Outcome::TransportError(message.clone()));
                let response = error_response(StatusCode::BAD_GATEWAY, message);
                (response, StatusClass::TransportError)
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
    fn upstream_uri_keeps_path_and_query() {
        let a: Authority = "127.0.0.1:9080".parse().unwrap();
        let uri = upstream_uri(a, &"/reviews/1?x=2".parse().unwrap()).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9080/reviews/1?x=2");
    }
}
