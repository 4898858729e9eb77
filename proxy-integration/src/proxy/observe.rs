//! The future of a layer that observes an exchange (span, RED metrics): once the response
//! headers arrive it tells its observer the status and hands it to the response body, which
//! calls it back when it ends; an error instead of a response is reported at once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Response, StatusCode};
use hyper::body::Body;

use super::ProxyError;
use super::body::{NotifyBody, OnEnd};

/// Follows one exchange to its end.
pub trait Observer: OnEnd {
    /// The upstream answered with `status`; the body follows.
    fn responded(&mut self, status: StatusCode);
    /// There is no response: the exchange failed with `error`.
    fn failed(self, error: &ProxyError);
}

/// `inner`, reporting to `observer` (none: nothing to report, the body passes unobserved).
#[derive(Debug)]
pub struct ObserveFuture<F, X> {
    inner: F,
    observer: Option<X>,
}

impl<F, X> ObserveFuture<F, X> {
    /// Reports `inner`'s outcome to `observer`.
    pub(super) fn new(inner: F, observer: Option<X>) -> Self {
        Self { inner, observer }
    }
}

impl<F, B, X> Future for ObserveFuture<F, X>
where
    F: Future<Output = Result<Response<B>, ProxyError>> + Unpin,
    B: Body,
    X: Observer + Unpin,
{
    type Output = Result<Response<NotifyBody<B, X>>, ProxyError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(Pin::new(&mut self.inner).poll(cx));
        // Taken: polled again after completing (a contract breach), it reports nothing twice.
        let observer = self.observer.take();
        Poll::Ready(match (result, observer) {
            (Ok(response), Some(mut observer)) => {
                observer.responded(response.status());
                Ok(response.map(|body| NotifyBody::new(body, observer)))
            }
            (Ok(response), None) => Ok(response.map(NotifyBody::unobserved)),
            (Err(e), observer) => {
                if let Some(observer) = observer {
                    observer.failed(&e);
                }
                Err(e)
            }
        })
    }
}
