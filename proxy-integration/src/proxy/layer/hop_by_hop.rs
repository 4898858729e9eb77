//! Hop-by-hop header handling (RFC 9110 7.6.1), both ways: what a proxy must not forward, with
//! the two exceptions a mesh needs: an upgrade being negotiated keeps `Connection: upgrade` and
//! `Upgrade`, and `TE: trailers` (gRPC needs it end to end) is kept.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::{
    CONNECTION, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use tower::{Layer, Service};

/// Strips hop-by-hop headers from requests and responses.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::proxy) struct HopByHopLayer;

impl<S> Layer<S> for HopByHopLayer {
    type Service = HopByHop<S>;

    fn layer(&self, inner: S) -> HopByHop<S> {
        HopByHop { inner }
    }
}

/// See [`HopByHopLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct HopByHop<S> {
    inner: S,
}

impl<S, B> Service<Request<Incoming>> for HopByHop<S>
where
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Unpin,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = HopByHopFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        let upgrade = upgrade_requested(request.headers());
        strip_hop_by_hop(request.headers_mut(), upgrade.as_ref());
        HopByHopFuture {
            inner: self.inner.call(request),
            upgrade,
        }
    }
}

/// See [`HopByHopLayer`].
#[derive(Debug)]
pub(in crate::proxy) struct HopByHopFuture<F> {
    inner: F,
    /// The protocol the request asked to upgrade to.
    upgrade: Option<HeaderValue>,
}

impl<F, B, E> Future for HopByHopFuture<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
{
    type Output = Result<Response<B>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(Pin::new(&mut self.inner).poll(cx))?;
        // The upgrade headers stay only on the 101 that accepts the upgrade.
        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        let upgraded = self.upgrade.as_ref().filter(|_| switching);
        strip_hop_by_hop(response.headers_mut(), upgraded);
        Poll::Ready(Ok(response))
    }
}

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Hop-by-hop headers a proxy must not forward.
static HOP_BY_HOP: [&HeaderName; 9] = [
    &CONNECTION,
    &KEEP_ALIVE,
    &PROXY_CONNECTION,
    &PROXY_AUTHENTICATE,
    &PROXY_AUTHORIZATION,
    &TE,
    &TRAILER,
    &TRANSFER_ENCODING,
    &UPGRADE,
];

/// The protocol named in `Upgrade` when `Connection` asks for an upgrade (e.g. `websocket`).
pub(super) fn upgrade_requested(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers.get_all(CONNECTION).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
        })
    });
    asks.then(|| headers.get(UPGRADE).cloned()).flatten()
}

/// Whether a `Connection` token needs no removal of its own: a hop-by-hop header removed
/// anyway, or `close`, which names no header.
fn removed_anyway(token: &str) -> bool {
    token.eq_ignore_ascii_case("close")
        || HOP_BY_HOP
            .iter()
            .any(|name| token.eq_ignore_ascii_case(name.as_str()))
}

/// Removes hop-by-hop headers, and those `Connection` names. When `upgrade` is set (the
/// exchange negotiates that protocol), `Connection: upgrade` and `Upgrade` are written back.
fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: Option<&HeaderValue>) {
    // Usually `Connection` names only `keep-alive`, `close` or `upgrade`: nothing is
    // collected (or allocated) unless it names another header.
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(str::trim))
        .filter(|token| !removed_anyway(token))
        .filter_map(|token| HeaderName::from_bytes(token.as_bytes()).ok())
        .collect();
    let trailers = headers
        .get(TE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    for name in HOP_BY_HOP.iter().copied().chain(&named) {
        headers.remove(name);
    }
    if trailers {
        headers.insert(TE, HeaderValue::from_static("trailers"));
    }
    if let Some(protocol) = upgrade {
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, protocol.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut h = map(&[
            ("connection", "keep-alive, x-custom"),
            ("x-custom", "1"),
            ("te", "gzip"),
            ("transfer-encoding", "chunked"),
            ("traceparent", "kept"),
        ]);
        strip_hop_by_hop(&mut h, None);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("traceparent"));
    }

    #[test]
    fn connection_tokens_of_any_case_are_removed() {
        let mut h = map(&[
            ("connection", "Keep-Alive, close, X-Custom,, bad name"),
            ("x-custom", "1"),
            ("keep-alive", "timeout=5"),
            ("x-kept", "1"),
        ]);
        strip_hop_by_hop(&mut h, None);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
        assert!(removed_anyway("Keep-Alive") && removed_anyway("close"));
        assert!(!removed_anyway("x-custom"));
    }

    #[test]
    fn te_trailers_and_negotiated_upgrades_survive() {
        let mut h = map(&[
            ("te", "trailers"),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
        ]);
        let upgrade = upgrade_requested(&h);
        assert_eq!(
            upgrade.as_ref().map(|v| v.to_str().unwrap()),
            Some("websocket")
        );
        strip_hop_by_hop(&mut h, upgrade.as_ref());
        assert_eq!(h["te"], "trailers");
        assert_eq!(h["connection"], "upgrade");
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(upgrade_requested(&map(&[("upgrade", "websocket")])), None);
    }
}
