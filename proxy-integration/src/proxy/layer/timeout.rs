//! The longest wait for an upstream's response headers; past it the caller gets 504 and the
//! span a transport error. The body streams on without a deadline (long polls, downloads).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use tokio::time::Timeout;
use tower::{Layer, Service};

use crate::proxy::ProxyError;

/// Bounds the wait for response headers.
#[derive(Debug, Clone, Copy)]
pub(in crate::proxy) struct TimeoutLayer {
    timeout: Duration,
}

impl TimeoutLayer {
    /// Waits at most `timeout`.
    pub(in crate::proxy) fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            timeout: self.timeout,
        }
    }
}

/// See [`TimeoutLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct Deadline<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Service<Request<Incoming>> for Deadline<S>
where
    S: Service<Request<Incoming>, Error = ProxyError>,
{
    type Response = S::Response;
    type Error = ProxyError;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        // The timer must stay pinned while it is registered: the one allocation a layer makes.
        DeadlineFuture {
            inner: Box::pin(tokio::time::timeout(self.timeout, self.inner.call(request))),
            timeout: self.timeout,
        }
    }
}

/// See [`TimeoutLayer`].
#[derive(Debug)]
pub(in crate::proxy) struct DeadlineFuture<F> {
    inner: Pin<Box<Timeout<F>>>,
    timeout: Duration,
}

impl<F, T> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<T, ProxyError>>,
{
    type Output = Result<T, ProxyError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let timeout = self.timeout;
        Poll::Ready(match ready!(self.inner.as_mut().poll(cx)) {
            Ok(result) => result,
            Err(_elapsed) => Err(ProxyError::Timeout(timeout)),
        })
    }
}
