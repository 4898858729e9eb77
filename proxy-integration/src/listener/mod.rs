//! Accept loop shared by every sidecar listener: one task per connection, HTTP/1.1 (with
//! upgrades) or h2c, a shutdown signal that stops accepting, and in transparent mode the
//! original destination and protocol sniffing (non-HTTP TCP passes through untouched). Each
//! connection gets its own Tower service, made from the connection's details.

use std::cell::RefCell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::Service;

use crate::stats::Stats;

mod original_dst;
mod sniff;
mod tcp;

/// Body of every response the sidecar writes: proxied bodies stream through unbuffered.
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// A small body the sidecar writes itself.
pub fn full_body(text: impl Into<Bytes>) -> ProxyBody {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

/// What a handler knows about the connection a request came on.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The downstream peer.
    pub peer: SocketAddr,
    /// Where the peer meant to connect before iptables redirected it (transparent mode).
    pub original_dst: Option<SocketAddr>,
}

/// How a listener treats new connections.
#[derive(Debug, Clone)]
pub enum Capture {
    /// Every connection is HTTP, addressed to this listener.
    Explicit,
    /// Connections arrive through iptables `REDIRECT`: read the original destination and
    /// sniff the protocol; what is not HTTP is passed through as plain TCP to `tcp_target`
    /// (the workload, inbound) or, when `None`, to the original destination (outbound).
    Transparent {
        /// Fixed TCP passthrough target.
        tcp_target: Option<SocketAddr>,
        /// Counts passed-through connections.
        stats: Arc<Stats>,
    },
}

/// Serves `listener` until `shutdown` turns true, answering each connection's requests with
/// the service `make` builds from the connection's details.
pub async fn serve<M, S>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    capture: Capture,
    make: M,
) where
    M: Fn(ConnInfo) -> S,
    S: Service<Request<Incoming>, Response = Response<ProxyBody>, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
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
        let original_dst = match &capture {
            Capture::Transparent { .. } => original_dst::of(&stream),
            Capture::Explicit => None,
        };
        let conn = ConnInfo { peer, original_dst };
        let service = make(conn);
        let capture = capture.clone();
        tokio::spawn(async move {
            if let Capture::Transparent { tcp_target, stats } = capture
                && sniff::detect(&stream).await == sniff::Protocol::Other
            {
                match tcp_target.or(conn.original_dst) {
                    Some(target) => tcp::pass_through(stream, target, &stats).await,
                    None => tracing::debug!(%peer, "non-HTTP connection without a destination"),
                }
                return;
            }
            serve_http(stream, conn.peer, service).await;
        });
    }
}

/// Serves HTTP/1.1 (with upgrades) or HTTP/2 with prior knowledge (h2c, as gRPC clients speak
/// it) on one connection.
async fn serve_http<S>(stream: TcpStream, peer: SocketAddr, service: S)
where
    S: Service<Request<Incoming>, Response = Response<ProxyBody>, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    // hyper calls through `&self`, Tower through `&mut self`: the connection's service is
    // borrowed only for the synchronous `call` (the future it returns owns what it needs), so
    // the borrow never overlaps another. Services here are always ready.
    let service = RefCell::new(service);
    let service = service_fn(move |req| {
        let called = service.try_borrow_mut().map(|mut s| s.call(req));
        async move {
            match called {
                Ok(response) => response.await,
                Err(_) => Ok(busy()),
            }
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    if let Err(e) = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// The answer to a request that finds its connection's service in use: never given, since
/// `call` does not re-enter (see [`serve_http`]).
fn busy() -> Response<ProxyBody> {
    let mut response = Response::new(full_body("connection busy"));
    *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    response
}
