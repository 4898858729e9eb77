//! The Bookinfo-like workloads of the demo: plain HTTP servers that copy the trace headers
//! from the request they serve onto the requests they make, as Istio asks applications to.
//!
//! productpage -> details; productpage -> reviews (v1 fast, v2 calls ratings and is sometimes
//! slow, v3 calls ratings and sometimes fails) -> ratings.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand::Rng;
use tokio::net::TcpListener;

/// One demo workload and what it calls.
#[derive(Debug, Clone)]
pub enum App {
    /// Calls details, then reviews (round-robin over its versions).
    ProductPage {
        /// details' sidecar inbound address.
        details: SocketAddr,
        /// Each reviews version's sidecar inbound address.
        reviews: Vec<SocketAddr>,
    },
    /// Book details.
    Details,
    /// Reviews; `ratings` is set for versions that call ratings.
    Reviews {
        /// Version label, `v1`..`v3`.
        version: &'static str,
        /// ratings' sidecar inbound address (v2 and v3).
        ratings: Option<SocketAddr>,
    },
    /// Star ratings.
    Ratings,
}

/// Probability that reviews v2 is slow, and that v3 fails.
const TROUBLE_RATE: f64 = 0.1;
/// How slow a slow reviews v2 is.
const SLOW: Duration = Duration::from_millis(300);

type AppClient = Client<HttpConnector, Empty<Bytes>>;

/// A workload serving on its listener, calling out through its sidecar's outbound port.
struct Workload {
    app: App,
    outbound: SocketAddr,
    client: AppClient,
    next_review: AtomicUsize,
}

/// Serves `app` on `listener`; outgoing calls go through the sidecar at `outbound`.
pub fn spawn(app: App, listener: TcpListener, outbound: SocketAddr) {
    let workload = Arc::new(Workload {
        app,
        outbound,
        client: Client::builder(TokioExecutor::new()).build_http(),
        next_review: AtomicUsize::new(0),
    });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let workload = workload.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let workload = workload.clone();
                    async move { Ok::<_, Infallible>(workload.handle(req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

impl Workload {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let headers = request.headers();
        match &self.app {
            App::ProductPage { details, reviews } => {
                let details_ok = self.call(*details, "/details/0", headers).await;
                let i = self.next_review.fetch_add(1, Ordering::Relaxed) % reviews.len().max(1);
                let reviews_ok = match reviews.get(i) {
                    Some(addr) => self.call(*addr, "/reviews/0", headers).await,
                    None => false,
                };
                if details_ok && reviews_ok {
                    reply(
                        StatusCode::OK,
                        "<html><body>The Comedy of Errors</body></html>",
                    )
                } else {
                    reply(StatusCode::BAD_GATEWAY, "a backend failed")
                }
            }
            App::Details => reply(StatusCode::OK, r#"{"id":0,"author":"William Shakespeare"}"#),
            App::Ratings => reply(StatusCode::OK, r#"{"id":0,"ratings":{"Reviewer1":5}}"#),
            App::Reviews { version, ratings } => {
                let trouble = rand::rng().random_bool(TROUBLE_RATE);
                if *version == "v2" && trouble {
                    tokio::time::sleep(SLOW).await;
                }
                if let Some(ratings) = ratings
                    && !self.call(*ratings, "/ratings/0", headers).await
                {
                    return reply(StatusCode::SERVICE_UNAVAILABLE, "ratings failed");
                }
                if *version == "v3" && trouble {
                    return reply(StatusCode::SERVICE_UNAVAILABLE, "reviews v3 failed");
                }
                reply(
                    StatusCode::OK,
                    r#"{"id":0,"reviews":["An extremely entertaining play"]}"#,
                )
            }
        }
    }

    /// GET `path` on `target` through the sidecar's outbound listener, copying the trace
    /// headers of `incoming`. True on a 2xx answer.
    async fn call(&self, target: SocketAddr, path: &str, incoming: &HeaderMap) -> bool {
        let mut request = Request::new(Empty::new());
        let uri = format!("http://{}{path}", self.outbound);
        let Ok(uri) = uri.parse() else { return false };
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        if let Ok(host) = target.to_string().parse() {
            headers.insert(http::header::HOST, host);
        }
        for name in sampler::propagation::APP_PROPAGATED_HEADERS {
            for value in incoming.get_all(*name) {
                headers.append(*name, value.clone());
            }
        }
        match self.client.request(request).await {
            Ok(response) => {
                let ok = response.status().is_success();
                // Read the body so the pooled connection can be reused.
                let _ = response.into_body().collect().await;
                ok
            }
            Err(_) => false,
        }
    }
}
