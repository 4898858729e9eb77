//! The one place the request path is assembled: a stack of Tower layers, one concern each,
//! outermost first, over the upstream client. A worker builds one [`ProxyStack`] per listener
//! and, from it, one service per downstream connection (so the connection's details are plain
//! fields, and nothing is cloned per request but what a response body must carry).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use tower::{Service, ServiceBuilder};

use super::layer::{
    DestinationLayer, HopByHopLayer, RedLayer, RequestIdLayer, RespondLayer, TimeoutLayer,
    TraceLayer, UpgradeLayer,
};
use super::{Destination, UpstreamClient};
use crate::listener::{ConnInfo, ProxyBody};
use crate::metrics::RedMetrics;
use crate::stats::Stats;
use crate::trace::{Direction, Tracer};

/// What both proxy listeners of a worker share.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The worker's upstream clients.
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

/// One listener's request path on one worker.
#[derive(Debug, Clone)]
pub struct ProxyStack {
    direction: Direction,
    destination: Destination,
    red: RedLayer,
    shared: Shared,
}

/// A connection's request path: any request in, a response out, never an error (failures
/// are answered by the outermost layer).
pub trait ProxyService:
    Service<
        Request<Incoming>,
        Response = Response<ProxyBody>,
        Error = Infallible,
        Future: Send + 'static,
    > + Send
    + 'static
{
}

impl<S> ProxyService for S where
    S: Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
            Future: Send + 'static,
        > + Send
        + 'static
{
}

impl ProxyStack {
    /// The request path of `direction`'s listener, routing by `destination`.
    pub fn new(direction: Direction, destination: Destination, shared: Shared) -> Self {
        let red = RedLayer::new(shared.red.clone(), shared.stats.clone(), direction);
        Self {
            direction,
            destination,
            red,
            shared,
        }
    }

    /// The service for one downstream connection.
    pub fn for_connection(&self, conn: ConnInfo) -> impl ProxyService + use<> {
        let shared = &self.shared;
        ServiceBuilder::new()
            // Failures become the caller's 400/502/504 here, and nowhere else.
            .layer(RespondLayer)
            // Rate, errors and duration of every request, sampled or not, to the body's end.
            .layer(self.red.clone())
            // The upstream, written into the URI; a request naming none is answered 400.
            .layer(DestinationLayer::new(
                self.destination.clone(),
                conn.original_dst,
            ))
            // Every request carries an x-request-id before the tracer reads it.
            .layer(RequestIdLayer)
            // Extract, decide, inject; the span ends when the response body does.
            .layer(TraceLayer::new(
                shared.tracer.clone(),
                self.direction,
                conn.peer,
            ))
            // An upgrade the upstream accepts (101) is spliced through, bytes untouched.
            .layer(UpgradeLayer)
            // Connection-level headers stay on their hop, both ways.
            .layer(HopByHopLayer)
            // A silent upstream gets a 504, not a caller left waiting.
            .layer(TimeoutLayer::new(shared.timeout))
            .service(shared.client.clone())
    }
}
