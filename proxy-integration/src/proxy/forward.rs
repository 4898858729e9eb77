//! The forwarding path shared by both listeners: trace the request, send it upstream over a
//! pooled keep-alive client in the version it arrived with, stream the response back (and
//! splice upgraded connections). Tracing never fails a request.

use std::sync::Arc;
use std::time::Duration;

use http::uri::{Authority, InvalidUriParts, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::completion::{Completion, TracedBody};
use super::headers::{strip_hop_by_hop, upgrade_requested};
use super::{Destination, UpstreamClient, upgrade};
use crate::listener::{ConnInfo, ProxyBody, full_body};
use crate::metrics::RedMetrics;
use crate::stats::Stats;
use crate::trace::{Direction, Outcome, Peer, RequestLine, Tracer};

/// What both proxy listeners share.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The pooled upstream clients.
    pub client: UpstreamClient,
    /// Tracing: extraction, sampling, span export.
    pub tracer: Arc<Tracer>,
    /// The sidecar's counters.
    pub stats: Arc<Stats>,
    /// RED metrics.
    pub red: Arc<RedMetrics>,
    /// Longest wait for an upstream's response headers.
    pub timeout: Duration,
}

/// One listener's forwarding setup.
#[derive(Debug)]
pub struct Forwarder {
    direction: Direction,
    destination: Destination,
    shared: Shared,
}

impl Forwarder {
    /// A forwarder for one direction.
    pub fn new(direction: Direction, destination: Destination, shared: Shared) -> Self {
        Self {
            direction,
            destination,
            shared,
        }
    }

    /// Proxies one request; its span and RED metrics complete when the response body ends.
    pub async fn handle(
        &self,
        conn: ConnInfo,
        mut request: Request<Incoming>,
    ) -> Response<ProxyBody> {
        Stats::incr(&self.shared.stats.requests);
        let mut completion = Completion::start(
            self.shared.tracer.clone(),
            self.shared.red.clone(),
            self.direction,
        );
        let authority = match self.destination.resolve(&request, conn.original_dst) {
            Ok(authority) => authority,
            Err(e) => return local_error(completion, StatusCode::BAD_REQUEST, e.to_string()),
        };
        // The tracer reads the request line while it rewrites the headers: the headers are
        // moved out for the call (no copy) so that both can be borrowed.
        let mut headers = std::mem::take(request.headers_mut());
        let peer = match self.direction {
            Direction::Inbound => Peer::Caller(conn.peer),
            Direction::Outbound => Peer::Destination(&authority),
        };
        let line = RequestLine {
            method: request.method(),
            path: request.uri().path(),
        };
        let span = self.shared.tracer.start(
            self.direction,
            line,
            peer,
            &mut headers,
            completion.started(),
        );
        completion.set_span(span);
        *request.headers_mut() = headers;

        let upgrade = upgrade_requested(request.headers());
        strip_hop_by_hop(request.headers_mut(), upgrade.as_ref());
        let original = std::mem::take(request.uri_mut());
        *request.uri_mut() = match upstream_uri(authority, original) {
            Ok(uri) => uri,
            Err(e) => return local_error(completion, StatusCode::BAD_REQUEST, e.to_string()),
        };
        // Taken before the request moves into the client; resolves once the downstream
        // connection has sent our 101 answer.
        let downstream_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        let sent =
            tokio::time::timeout(self.shared.timeout, self.shared.client.send(request)).await;
        let sent = match sent {
            Ok(sent) => sent,
            Err(_elapsed) => {
                Stats::incr(&self.shared.stats.upstream_errors);
                let message = format!("upstream timeout after {:?}", self.shared.timeout);
                completion.finish(Outcome::TransportError(message.clone()));
                return error_response(StatusCode::GATEWAY_TIMEOUT, message);
            }
        };
        match sent {
            Ok(mut response) => {
                let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
                let upgraded = upgrade.filter(|_| switching);
                if let (Some(_), Some(downstream)) = (&upgraded, downstream_upgrade) {
                    upgrade::splice(downstream, hyper::upgrade::on(&mut response));
                }
                strip_hop_by_hop(response.headers_mut(), upgraded.as_ref());
                let status = response.status().as_u16();
                response.map(|body| TracedBody::new(body, status, completion).boxed())
            }
            Err(e) => {
                Stats::incr(&self.shared.stats.upstream_errors);
                let message = format!("upstream unavailable: {e}");
                completion.finish(Outcome::TransportError(message.clone()));
                error_response(StatusCode::BAD_GATEWAY, message)
            }
        }
    }
}

/// Answers a request the proxy cannot route, completing its exchange at once.
fn local_error(completion: Completion, status: StatusCode, message: String) -> Response<ProxyBody> {
    completion.finish(Outcome::Response(status.as_u16()));
    error_response(status, message)
}

/// `original`'s path and query (`/` when it has none) on `authority`, over plain HTTP.
fn upstream_uri(authority: Authority, original: Uri) -> Result<Uri, InvalidUriParts> {
    let mut parts = original.into_parts();
    parts.scheme = Some(Scheme::HTTP);
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    Uri::from_parts(parts)
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
        let uri = upstream_uri(a.clone(), "/reviews/1?x=2".parse().unwrap()).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9080/reviews/1?x=2");
        let absolute = "http://reviews:9080/ratings?x=1".parse().unwrap();
        let uri = upstream_uri(a.clone(), absolute).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9080/ratings?x=1");
        let authority_form = "reviews:9080".parse().unwrap();
        let uri = upstream_uri(a, authority_form).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9080/");
    }
}
