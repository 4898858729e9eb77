//! The innermost service: sends a request upstream in the version it arrived with, like Envoy
//! (no translation between versions). HTTP/1.x goes over the worker's own keep-alive pool
//! ([`pool`], on `hyper::client::conn`); HTTP/2 (h2c, prior knowledge, so gRPC works) over
//! hyper-util's pooled client, which multiplexes streams on one connection per upstream.

mod pool;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::HOST;
use http::uri::{Authority, Parts};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::Service;

use super::ProxyError;
use super::body::{BodyEnd, NotifyBody, OnEnd};
use pool::{Pool, RequestBody, Sender};

/// A response body from upstream; HTTP/1.1 ones hand their connection back when read.
pub type UpstreamBody = NotifyBody<Incoming, CheckIn>;

/// One worker's upstream clients (cheap to clone: the pools are shared).
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    http1: Pool,
    http2: Client<HttpConnector, Incoming>,
}

/// Builds a worker's clients: connecting to an upstream gives up after `connect_timeout`, and
/// a connection unused for `idle_timeout` is closed.
pub fn upstream_client(connect_timeout: Duration, idle_timeout: Duration) -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    let http2 = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .pool_idle_timeout(idle_timeout)
        .pool_timer(TokioTimer::new())
        .build(connector);
    UpstreamClient {
        http1: Pool::new(connect_timeout, idle_timeout),
        http2,
    }
}

type Sent = Pin<Box<dyn Future<Output = Result<Response<UpstreamBody>, ProxyError>> + Send>>;

impl Service<Request<Incoming>> for UpstreamClient {
    type Response = Response<UpstreamBody>;
    type Error = ProxyError;
    type Future = Sent;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        // Connections are made per request as needed: there is no capacity to wait for.
        Poll::Ready(Ok(()))
    }

    /// `request`'s URI is absolute (the destination layer wrote the upstream into it).
    fn call(&mut self, request: Request<Incoming>) -> Sent {
        if request.version() == Version::HTTP_2 {
            let sent = self.http2.request(request);
            return Box::pin(async move {
                let response = sent.await?;
                Ok(response.map(|body| NotifyBody::new(body, CheckIn(None))))
            });
        }
        let pool = self.http1.clone();
        Box::pin(async move {
            let (authority, request) = origin_form(request)?;
            let (response, sender) = send_http1(&pool, &authority, request).await?;
            Ok(check_in_later(response, pool, authority, sender))
        })
    }
}

/// Sends over a pooled connection when one is open, else over a new one. A pooled connection
/// the upstream closed just as it was taken gives the request back unsent (hyper had not
/// written a byte of it, so any method is safe to resend): it then goes once more, on a new
/// connection. This is hyper-util's `retry_canceled_requests`: only a reused connection's
/// unsent request is retried, never one that a new connection gave back or that went out.
async fn send_http1<B: RequestBody>(
    pool: &Pool<B>,
    authority: &Authority,
    request: Request<B>,
) -> Result<(Response<Incoming>, Sender<B>), ProxyError> {
    let request = match ready_pooled(pool, authority).await {
        Some(mut sender) => match sender.try_send_request(request).await {
            Ok(response) => return Ok((response, sender)),
            Err(mut e) => match e.take_message() {
                Some(unsent) => {
                    let error = e.into_error();
                    tracing::debug!(%error, "pooled connection closed; resending on a new one");
                    unsent
                }
                None => return Err(e.into_error().into()),
            },
        },
        None => request,
    };
    let mut sender = pool.connect(authority).await?;
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    Ok((response, sender))
}

/// A pooled connection to `authority` ready for a request; ones found closed are dropped.
async fn ready_pooled<B: RequestBody>(pool: &Pool<B>, authority: &Authority) -> Option<Sender<B>> {
    while let Some(mut sender) = pool.take(authority) {
        if sender.ready().await.is_ok() {
            return Some(sender);
        }
    }
    None
}

fn check_in_later(
    response: Response<Incoming>,
    pool: Pool,
    authority: Authority,
    sender: Sender,
) -> Response<UpstreamBody> {
    // An upgraded connection is the upgrade's now, never the pool's.
    let check_in = (response.status() != StatusCode::SWITCHING_PROTOCOLS).then_some(Pooled {
        pool,
        authority,
        sender,
    });
    response.map(|body| NotifyBody::new(body, CheckIn(check_in)))
}

/// What an HTTP/1.1 server expects: the upstream taken out of the absolute URI, which becomes
/// origin-form (`/path?query`; authority-form for `CONNECT`), and a `Host` header (the
/// upstream's, when the request had none).
fn origin_form<B>(request: Request<B>) -> Result<(Authority, Request<B>), ProxyError> {
    let (mut head, body) = request.into_parts();
    let mut parts = std::mem::take(&mut head.uri).into_parts();
    let Some(authority) = parts.authority.take() else {
        return Err(ProxyError::Destination(super::DestinationError::Missing));
    };
    let mut origin = Parts::default();
    if head.method == Method::CONNECT {
        origin.authority = Some(authority.clone());
    } else {
        origin.path_and_query = parts.path_and_query;
    }
    head.uri = Uri::from_parts(origin)?;
    if !head.headers.contains_key(HOST) {
        let host = match authority.port_u16() {
            Some(80) => authority.host(),
            _ => authority.as_str(),
        };
        if let Ok(host) = HeaderValue::from_str(host) {
            head.headers.insert(HOST, host);
        }
    }
    Ok((authority, Request::from_parts(head, body)))
}

/// Hands an HTTP/1.1 connection back to its pool once the response body was read to its
/// end; a body dropped midway or failed closes the connection with it.
#[derive(Debug)]
pub struct CheckIn(Option<Pooled>);

#[derive(Debug)]
struct Pooled {
    pool: Pool,
    authority: Authority,
    sender: Sender,
}

impl OnEnd for CheckIn {
    fn on_end(self, end: BodyEnd<'_>) {
        if let (Some(pooled), BodyEnd::Complete) = (self.0, end) {
            pooled.pool.put(&pooled.authority, pooled.sender);
        }
    }
}

#[cfg(test)]
mod tests;
