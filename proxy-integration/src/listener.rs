//! Accept loop shared by every sidecar listener: one task per connection, HTTP/1.1 (with
//! upgrades) or h2c, and a shutdown signal that stops accepting.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Body of every response the sidecar writes: proxied bodies stream through unbuffered.
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// A small body the sidecar writes itself.
pub fn full_body(text: impl Into<Bytes>) -> ProxyBody {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

/// Serves `listener` until `shutdown` turns true, calling `handler` with the peer address and
/// each request.
pub async fn serve<H, F>(listener: TcpListener, mut shutdown: watch::Receiver<bool>, handler: H)
where
    H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<ProxyBody>> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Usually EMFILE: keep serving the connections we have.
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        // Proxied requests are latency-sensitive: don't batch small writes.
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let response = handler(peer, req);
                async move { Ok::<_, Infallible>(response.await) }
            });
            // HTTP/1.1 or HTTP/2 with prior knowledge (h2c, as gRPC clients speak it).
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
