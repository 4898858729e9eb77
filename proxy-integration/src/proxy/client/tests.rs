//! The client's request rewriting, and its resending of requests a pooled connection gave
//! back, over real sockets and in-memory pipes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::*;

fn request(method: Method, uri: &str, host: Option<&str>) -> Request<()> {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(host) = host {
        request = request.header(HOST, host);
    }
    request.body(()).unwrap()
}

#[test]
fn origin_form_keeps_the_path_and_fills_a_missing_host() {
    let (authority, r) =
        origin_form(request(Method::GET, "http://reviews:9080/r?x=1", None)).unwrap();
    assert_eq!(authority.as_str(), "reviews:9080");
    assert_eq!(r.uri().to_string(), "/r?x=1");
    assert_eq!(r.headers()[HOST], "reviews:9080");
    let (_, r) = origin_form(request(Method::GET, "http://ratings:80/", None)).unwrap();
    assert_eq!(r.headers()[HOST], "ratings");
    let caller = Some("productpage.local");
    let (_, r) = origin_form(request(Method::GET, "http://127.0.0.1:9080/", caller)).unwrap();
    assert_eq!(r.headers()[HOST], "productpage.local");
    let (_, r) = origin_form(request(Method::CONNECT, "http://db:5432/", None)).unwrap();
    assert_eq!(r.uri().to_string(), "db:5432");
    let relative = origin_form(request(Method::GET, "/r", None));
    assert!(matches!(relative, Err(ProxyError::Destination(_))));
}

/// An upstream on a real socket echoing each request's body; with how many requests it read.
async fn echo_upstream() -> (Authority, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority = listener.local_addr().unwrap().to_string().parse().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            let service = service_fn(move |request: Request<Incoming>| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    let body = request.into_body().collect().await?.to_bytes();
                    Ok::<_, hyper::Error>(Response::new(Full::new(body)))
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    (authority, served)
}

/// A connection over an in-memory pipe, ready for a request; the pipe's far end is returned.
async fn idle_connection() -> (Sender<String>, tokio::io::DuplexStream) {
    let (near, far) = tokio::io::duplex(1024);
    let (mut sender, connection) = http1::handshake(TokioIo::new(near)).await.unwrap();
    tokio::spawn(connection);
    sender.ready().await.unwrap();
    (sender, far)
}

// One thread: nothing runs between the lines of the test until it awaits.
#[tokio::test(flavor = "current_thread")]
async fn a_request_a_reused_connection_gives_back_goes_on_a_new_one() {
    let (authority, served) = echo_upstream().await;
    let pool = Pool::<String>::new(Duration::from_secs(5), Duration::from_secs(90));
    let (stale, far) = idle_connection().await;
    pool.put(&authority, stale);
    // The upstream closes the idle connection; the connection's task has not run since, so
    // it looks open when taken, and finds the end of the stream only with the request queued.
    drop(far);
    let request = Request::post("/r").body("unread".to_owned()).unwrap();
    let (response, _) = send_http1(&pool, &authority, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, Bytes::from("unread"), "the request's body went whole");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_new_connection_closed_at_once_is_not_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let pool = Pool::<Full<Bytes>>::new(Duration::from_secs(5), Duration::from_secs(90));
    let request = Request::get("/r").body(Full::new(Bytes::new())).unwrap();
    assert!(send_http1(&pool, &authority, request).await.is_err());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
