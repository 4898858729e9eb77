//! The sidecar's HTTP/1.1 upstream pool against an upstream that closes keep-alive connections
//! under it, over real sockets: a connection closed while idle costs no request, and a request
//! that did go out is never sent twice.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// When the test upstream closes a connection.
#[derive(Debug, Clone, Copy)]
enum Close {
    /// Right after answering its first request (with keep-alive, as if its idle timeout fired
    /// at that moment).
    AfterAnswering,
    /// On reading its second request, unanswered (as if it crashed with the request in hand).
    OnSecondRequest,
}

/// A hand-rolled HTTP/1.1 upstream answering each request with its path. Returns its address,
/// the paths of every request it read, in order, and one message per connection it closed,
/// sent once the close is done.
async fn closing_upstream(
    close: Close,
) -> (
    SocketAddr,
    Arc<Mutex<Vec<String>>>,
    mpsc::UnboundedReceiver<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (closed_tx, closed) = mpsc::unbounded_channel();
    let recorded = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (seen, closed_tx) = (recorded.clone(), closed_tx.clone());
            tokio::spawn(async move {
                let Some(path) = read_request(&mut stream).await else {
                    return;
                };
                seen.lock().unwrap().push(path.clone());
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nconnection: keep-alive\r\ncontent-length: {}\r\n\r\n{path}",
                    path.len()
                );
                stream.write_all(answer.as_bytes()).await.unwrap();
                if let Close::OnSecondRequest = close
                    && let Some(path) = read_request(&mut stream).await
                {
                    seen.lock().unwrap().push(path);
                }
                drop(stream);
                let _ = closed_tx.send(());
            });
        }
    });
    (addr, seen, closed)
}

/// Reads one request head (the sidecar sends these GETs without a body); its path, or `None`
/// at the end of the stream.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let path = head.split(' ').nth(1).unwrap();
    Some(path.to_owned())
}

/// A sidecar with one worker (so one pool) in front of `app`.
fn sidecar(app: &str) -> support::Process {
    let mut args = support::sidecar_args("pool", app, "grpc://127.0.0.1:9");
    args.extend(["--concurrency", "1"]);
    support::start(&args, support::SIDECAR_LISTENERS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_closed_by_the_upstream_costs_no_request() {
    let (app, seen, mut closed) = closing_upstream(Close::AfterAnswering).await;
    let sidecar = sidecar(&app.to_string());
    let inbound = sidecar.addrs["inbound"];
    for n in 0..10 {
        let path = format!("/{n}");
        let (status, _, body) = support::get(&format!("http://{inbound}{path}"), &[]).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body, path);
        // The upstream has closed the connection the sidecar pooled: the next request takes
        // it, or finds it closed, and must still be answered.
        closed.recv().await.unwrap();
    }
    let expected: Vec<String> = (0..10).map(|n| format!("/{n}")).collect();
    assert_eq!(*seen.lock().unwrap(), expected, "each request sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_went_out_is_not_sent_again() {
    let (app, seen, _closed) = closing_upstream(Close::OnSecondRequest).await;
    let sidecar = sidecar(&app.to_string());
    let inbound = sidecar.addrs["inbound"];
    // A request goes on the connection the previous one used, unless it raced that one's
    // check-in; then it opens a new one and the next request tries again.
    for n in 0..20 {
        let path = format!("/{n}");
        let (status, _, body) = support::get(&format!("http://{inbound}{path}"), &[]).await;
        if status == 502 {
            // Written on a reused connection the upstream then closed: whether the upstream
            // acted on it is unknown, so it is not retried.
            let seen = seen.lock().unwrap();
            assert_eq!(seen.iter().filter(|p| **p == path).count(), 1, "{seen:?}");
            assert_eq!(seen.last(), Some(&path), "{seen:?}");
            return;
        }
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body, path);
    }
    panic!(
        "no request went on a reused connection: {:?}",
        seen.lock().unwrap()
    );
}
