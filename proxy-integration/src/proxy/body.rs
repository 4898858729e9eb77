//! A response body that tells its layer when it ends. Spans, RED metrics and pooled upstream
//! connections all complete when the response body does, not when its headers arrive: each of
//! those layers wraps the body once and is called back exactly once. Frames pass untouched.

use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Frame, SizeHint};

/// How a response body ended.
#[derive(Debug)]
pub enum BodyEnd<'a> {
    /// Every frame was read (or the body was empty and dropped unread).
    Complete,
    /// Dropped before its end: the downstream went away mid-body.
    Dropped,
    /// Reading it failed.
    Failed(&'a (dyn std::error::Error + 'static)),
}

/// Called once when a wrapped body ends.
pub trait OnEnd {
    /// The body ended as `end` says.
    fn on_end(self, end: BodyEnd<'_>);
}

/// `inner`, calling `C` back once when it ends, fails or is dropped.
#[derive(Debug)]
pub struct NotifyBody<B: Body, C: OnEnd> {
    inner: B,
    on_end: Option<C>,
}

impl<B: Body, C: OnEnd> NotifyBody<B, C> {
    /// Wraps `inner`.
    pub(super) fn new(inner: B, on_end: C) -> Self {
        Self {
            inner,
            on_end: Some(on_end),
        }
    }

    /// Wraps `inner` with nobody to call back (a future polled after it completed).
    pub(super) fn unobserved(inner: B) -> Self {
        Self {
            inner,
            on_end: None,
        }
    }

    fn end(&mut self, end: BodyEnd<'_>) {
        if let Some(on_end) = self.on_end.take() {
            on_end.on_end(end);
        }
    }
}

impl<B, C> Body for NotifyBody<B, C>
where
    B: Body + Unpin,
    B::Error: std::error::Error + 'static,
    C: OnEnd + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.end(BodyEnd::Complete),
            Poll::Ready(Some(Err(e))) => this.end(BodyEnd::Failed(e)),
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

impl<B: Body, C: OnEnd> Drop for NotifyBody<B, C> {
    fn drop(&mut self) {
        // Not polled to its end: an empty body hyper never polled (complete), or a downstream
        // that went away mid-body.
        let end = match self.inner.is_end_stream() {
            true => BodyEnd::Complete,
            false => BodyEnd::Dropped,
        };
        self.end(end);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};

    use super::*;

    struct Record(Rc<RefCell<Vec<String>>>);

    impl OnEnd for Record {
        fn on_end(self, end: BodyEnd<'_>) {
            self.0.borrow_mut().push(format!("{end:?}"));
        }
    }

    #[tokio::test]
    async fn calls_back_once_at_the_end_or_on_drop() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let body = NotifyBody::new(Full::new(Bytes::from_static(b"ok")), Record(log.clone()));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "ok");
        let dropped = NotifyBody::new(Full::new(Bytes::from_static(b"x")), Record(log.clone()));
        drop(dropped);
        let empty = NotifyBody::new(Full::new(Bytes::new()), Record(log.clone()));
        drop(empty);
        assert_eq!(*log.borrow(), ["Complete", "Dropped", "Complete"]);
    }
}
