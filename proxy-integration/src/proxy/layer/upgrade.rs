//! Upgraded connections (websockets and other `Connection: upgrade` protocols): once the
//! upstream answers 101, the two upgraded streams are spliced together, bytes untouched.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tower::{Layer, Service};

use super::hop_by_hop::upgrade_requested;

/// Splices upgraded connections.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::proxy) struct UpgradeLayer;

impl<S> Layer<S> for UpgradeLayer {
    type Service = Upgrade<S>;

    fn layer(&self, inner: S) -> Upgrade<S> {
        Upgrade { inner }
    }
}

/// See [`UpgradeLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct Upgrade<S> {
    inner: S,
}

impl<S, B> Service<Request<Incoming>> for Upgrade<S>
where
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Unpin,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = UpgradeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        // Taken before the request moves on; resolves once the downstream connection has
        // sent our 101 answer.
        let downstream = upgrade_requested(request.headers())
            .is_some()
            .then(|| hyper::upgrade::on(&mut request));
        UpgradeFuture {
            inner: self.inner.call(request),
            downstream,
        }
    }
}

/// See [`UpgradeLayer`].
#[derive(Debug)]
pub(in crate::proxy) struct UpgradeFuture<F> {
    inner: F,
    downstream: Option<OnUpgrade>,
}

impl<F, B, E> Future for UpgradeFuture<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
{
    type Output = Result<Response<B>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(Pin::new(&mut self.inner).poll(cx))?;
        if response.status() == StatusCode::SWITCHING_PROTOCOLS
            && let Some(downstream) = self.downstream.take()
        {
            splice(downstream, hyper::upgrade::on(&mut response));
        }
        Poll::Ready(Ok(response))
    }
}

/// Splices the downstream and upstream connections once both upgrades complete.
fn splice(downstream: OnUpgrade, upstream: OnUpgrade) {
    tokio::spawn(async move {
        let (downstream, upstream) = match tokio::try_join!(downstream, upstream) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade did not complete");
                return;
            }
        };
        let (mut downstream, mut upstream) = (TokioIo::new(downstream), TokioIo::new(upstream));
        if let Err(e) = tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await {
            tracing::debug!(error = %e, "upgraded connection ended with an error");
        }
    });
}
