//! `x-request-id`: kept when the caller sent one, created when absent, before the tracer reads
//! it (Envoy's `x-request-id` sampling mode and the span's `guid:x-request-id`).

use std::task::{Context, Poll};

use http::Request;
use hyper::body::Incoming;
use tower::{Layer, Service};

use crate::trace::ensure_request_id;

/// Ensures every request carries an id.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::proxy) struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestId<S>;

    fn layer(&self, inner: S) -> RequestId<S> {
        RequestId { inner }
    }
}

/// See [`RequestIdLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct RequestId<S> {
    inner: S,
}

impl<S> Service<Request<Incoming>> for RequestId<S>
where
    S: Service<Request<Incoming>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> S::Future {
        ensure_request_id(request.headers_mut());
        self.inner.call(request)
    }
}
