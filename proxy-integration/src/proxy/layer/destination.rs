//! Picks the upstream ([`Destination`]) and writes it into the request's URI, which from here
//! on is absolute (`http://authority/path?query`): every later layer and the client read the
//! upstream from there. A request that names none is answered 400.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::uri::{Authority, InvalidUriParts, PathAndQuery, Scheme};
use http::{Request, Uri};
use hyper::body::Incoming;
use tower::{Layer, Service};

use crate::proxy::{Destination, DestinationError, ProxyError};

/// Routes one connection's requests.
#[derive(Debug, Clone)]
pub(in crate::proxy) struct DestinationLayer {
    destination: Destination,
    original_dst: Option<SocketAddr>,
}

impl DestinationLayer {
    /// Routes by `destination`; `original_dst` is the connection's pre-NAT destination.
    pub(in crate::proxy) fn new(
        destination: Destination,
        original_dst: Option<SocketAddr>,
    ) -> Self {
        Self {
            destination,
            original_dst,
        }
    }
}

impl<S> Layer<S> for DestinationLayer {
    type Service = Route<S>;

    fn layer(&self, inner: S) -> Route<S> {
        Route {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`DestinationLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct Route<S> {
    inner: S,
    layer: DestinationLayer,
}

impl<S> Service<Request<Incoming>> for Route<S>
where
    S: Service<Request<Incoming>, Error = ProxyError>,
    S::Future: Unpin,
{
    type Response = S::Response;
    type Error = ProxyError;
    type Future = RouteFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        let layer = &self.layer;
        let authority = match layer.destination.resolve(&request, layer.original_dst) {
            Ok(authority) => authority,
            Err(e) => return RouteFuture::Failed(Some(e.into())),
        };
        let original = std::mem::take(request.uri_mut());
        *request.uri_mut() = match upstream_uri(authority, original) {
            Ok(uri) => uri,
            Err(e) => return RouteFuture::Failed(Some(e.into())),
        };
        RouteFuture::Routed(self.inner.call(request))
    }
}

/// See [`DestinationLayer`].
#[derive(Debug)]
pub(in crate::proxy) enum RouteFuture<F> {
    /// On its way upstream.
    Routed(F),
    /// Unroutable (taken when polled).
    Failed(Option<ProxyError>),
}

impl<F, T> Future for RouteFuture<F>
where
    F: Future<Output = Result<T, ProxyError>> + Unpin,
{
    type Output = Result<T, ProxyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            RouteFuture::Routed(inner) => Pin::new(inner).poll(cx),
            RouteFuture::Failed(e) => Poll::Ready(Err(e
                .take()
                .unwrap_or(ProxyError::Destination(DestinationError::Missing)))),
        }
    }
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
