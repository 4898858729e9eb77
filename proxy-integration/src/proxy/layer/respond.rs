//! The outermost layer: the one place a [`ProxyError`] becomes the caller's answer, and every
//! body becomes the listener's [`ProxyBody`]. Nothing below it answers the caller itself.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use tower::{Layer, Service};

use crate::listener::ProxyBody;
use crate::proxy::ProxyError;

/// Turns errors into responses.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::proxy) struct RespondLayer;

impl<S> Layer<S> for RespondLayer {
    type Service = Respond<S>;

    fn layer(&self, inner: S) -> Respond<S> {
        Respond { inner }
    }
}

/// See [`RespondLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct Respond<S> {
    inner: S,
}

impl<S, B> Service<Request<Incoming>> for Respond<S>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = ProxyError>,
    S::Future: Unpin,
    B: Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
{
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = RespondFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The layers below are always ready; an error here would be a bug, answered per call.
        let _ = ready!(self.inner.poll_ready(cx));
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        RespondFuture {
            inner: self.inner.call(request),
        }
    }
}

/// See [`RespondLayer`].
#[derive(Debug)]
pub(in crate::proxy) struct RespondFuture<F> {
    inner: F,
}

impl<F, B> Future for RespondFuture<F>
where
    F: Future<Output = Result<Response<B>, ProxyError>> + Unpin,
    B: Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
{
    type Output = Result<Response<ProxyBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(Ok(match ready!(Pin::new(&mut self.inner).poll(cx)) {
            Ok(response) => response.map(BodyExt::boxed),
            Err(e) => e.into_response(),
        }))
    }
}
