//! The end of an exchange, done exactly once: the span finished and the RED metrics recorded.
//! A proxied response ends when its body does (or when the downstream goes away), so the
//! completion travels with the response body; locally answered errors complete at once.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use crate::metrics::{RedMetrics, StatusClass};
use crate::trace::{ActiveSpan, Direction, Outcome, Tracer};

/// What must happen when one exchange ends.
#[derive(Debug)]
pub(super) struct Completion {
    tracer: Arc<Tracer>,
    red: Arc<RedMetrics>,
    direction: Direction,
    started: Instant,
    span: Option<ActiveSpan>,
}

impl Completion {
    /// Starts timing an exchange now.
    pub(super) fn start(tracer: Arc<Tracer>, red: Arc<RedMetrics>, direction: Direction) -> Self {
        Self {
            tracer,
            red,
            direction,
            started: Instant::now(),
            span: None,
        }
    }

    /// When the exchange started.
    pub(super) fn started(&self) -> Instant {
        self.started
    }

    /// Attaches the exchange's span.
    pub(super) fn set_span(&mut self, span: ActiveSpan) {
        self.span = Some(span);
    }

    /// Records the metrics and finishes the span with `outcome`.
    pub(super) fn finish(mut self, outcome: Outcome) {
        let class = match &outcome {
            Outcome::Response(code) => StatusClass::of(*code),
            Outcome::TransportError(_) => StatusClass::TransportError,
        };
        self.red
            .record(self.direction, class, self.started.elapsed());
        if let Some(span) = self.span.take() {
            self.tracer.finish(span, outcome);
        }
    }
}

/// A proxied response body that completes its exchange when it ends, fails, or is dropped
/// (the downstream went away). Frames pass through untouched.
#[derive(Debug)]
pub(super) struct TracedBody {
    inner: Incoming,
    status: u16,
    completion: Option<Completion>,
}

impl TracedBody {
    /// Wraps `inner`, the body of a response with status `status`.
    pub(super) fn new(inner: Incoming, status: u16, completion: Completion) -> Self {
        Self {
            inner,
            status,
            completion: Some(completion),
        }
    }

    fn complete(&mut self, outcome: Outcome) {
        if let Some(completion) = self.completion.take() {
            completion.finish(outcome);
        }
    }
}

impl Body for TracedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.complete(Outcome::Response(this.status)),
            Poll::Ready(Some(Err(e))) => {
                this.complete(Outcome::TransportError(format!("response body: {e}")));
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TracedBody {
    fn drop(&mut self) {
        // Ended without a final poll: an empty body hyper never polled, or a downstream that
        // went away mid-body. Either way the upstream answered with `status`.
        self.complete(Outcome::Response(self.status));
    }
}
