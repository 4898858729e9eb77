//! Trace context at the edge: extract the caller's context, make the head decision, inject the
//! child context for the next hop, and end the span when the response body ends. Tracing never
//! fails a request: the tracer only reads and rewrites headers, and spans leave through a
//! bounded queue without waiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, StatusCode};
use hyper::body::{Body, Incoming};
use tower::{Layer, Service};

use crate::proxy::ProxyError;
use crate::proxy::body::{BodyEnd, NotifyBody, OnEnd};
use crate::proxy::observe::{ObserveFuture, Observer};
use crate::trace::{ActiveSpan, Direction, Outcome, Peer, RequestLine, Tracer};

/// Traces one connection's requests.
#[derive(Debug, Clone)]
pub(in crate::proxy) struct TraceLayer {
    tracer: Arc<Tracer>,
    direction: Direction,
    /// The downstream peer of the connection (the caller, recorded on inbound spans).
    caller: SocketAddr,
}

impl TraceLayer {
    /// Spans of `direction` for requests from `caller`.
    pub(in crate::proxy) fn new(
        tracer: Arc<Tracer>,
        direction: Direction,
        caller: SocketAddr,
    ) -> Self {
        Self {
            tracer,
            direction,
            caller,
        }
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`TraceLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct Trace<S> {
    inner: S,
    layer: TraceLayer,
}

impl<S, B> Service<Request<Incoming>> for Trace<S>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = ProxyError>,
    S::Future: Unpin,
    B: Body,
{
    type Response = Response<NotifyBody<B, SpanEnd>>;
    type Error = ProxyError;
    type Future = ObserveFuture<S::Future, SpanEnd>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        let TraceLayer {
            tracer,
            direction,
            caller,
        } = &self.layer;
        // The tracer reads the request line while it rewrites the headers: the headers are
        // moved out for the call (no copy) so that both can be borrowed.
        let mut headers = std::mem::take(request.headers_mut());
        // The destination layer made the URI absolute; without an authority (never) the span
        // records the caller.
        let peer = match (direction, request.uri().authority()) {
            (Direction::Outbound, Some(authority)) => Peer::Destination(authority),
            _ => Peer::Caller(*caller),
        };
        let line = RequestLine {
            method: request.method(),
            path: request.uri().path(),
        };
        let span = tracer.start(*direction, line, peer, &mut headers, Instant::now());
        *request.headers_mut() = headers;
        // Unsampled requests carry nothing to finish: no tracer handle is taken for them.
        let end = span.is_recording().then(|| SpanEnd {
            tracer: tracer.clone(),
            span,
            status: 0,
        });
        ObserveFuture::new(self.inner.call(request), end)
    }
}

/// A sampled request's span, finished when the response body ends.
#[derive(Debug)]
pub(in crate::proxy) struct SpanEnd {
    tracer: Arc<Tracer>,
    span: ActiveSpan,
    status: u16,
}

impl Observer for SpanEnd {
    fn responded(&mut self, status: StatusCode) {
        self.status = status.as_u16();
    }

    fn failed(self, error: &ProxyError) {
        self.tracer.finish(self.span, error.outcome());
    }
}

impl OnEnd for SpanEnd {
    fn on_end(self, end: BodyEnd<'_>) {
        let outcome = match end {
            // Ended without a final poll or read to the end: the upstream answered `status`.
            BodyEnd::Complete | BodyEnd::Dropped => Outcome::Response(self.status),
            BodyEnd::Failed(e) => Outcome::TransportError(format!("response body: {e}")),
        };
        self.tracer.finish(self.span, outcome);
    }
}
