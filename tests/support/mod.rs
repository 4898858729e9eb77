//! Helpers for end-to-end tests: start the real `meshtrace` binary, learn its bound ports from
//! its `... listening on ADDR` lines, and talk HTTP to it.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

pub mod apps;
pub mod netns;
pub mod otlp;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A running `meshtrace` process, killed when dropped.
pub struct Process {
    child: Child,
    /// Listener name -> bound address, from the process's stdout.
    pub addrs: HashMap<String, SocketAddr>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (a graceful shutdown) and waits at most `within` for the process to exit;
    /// whether it did with success.
    pub fn terminate(&mut self, within: Duration) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        if !sent.is_ok_and(|s| s.success()) {
            return false;
        }
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

/// Starts `meshtrace ARGS` and waits (at most 30 s) until it has announced `expect` listeners.
pub fn start(args: &[&str], expect: usize) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meshtrace"));
    command.args(args);
    start_command(command, expect)
}

/// Starts `command` (which runs `meshtrace` in some wrapper, e.g. `ip netns exec`) and waits
/// until it has announced `expect` listeners.
pub fn start_command(mut command: Command, expect: usize) -> Process {
    // Quiet children unless the developer asks for their logs.
    if std::env::var_os("RUST_LOG").is_none() {
        command.env("RUST_LOG", "warn");
    }
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn meshtrace");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    // Keeps reading after the announcements are in (sends then fail and are ignored): a
    // closed pipe would make the child's next progress line fail with EPIPE.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut addrs = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while addrs.len() < expect {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("{args:?} announced only {addrs:?}"));
        // "<component> <listener> listening on <addr>"
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_, name, "listening", "on", addr] = words[..] {
            addrs.insert(name.to_owned(), addr.parse().expect("address"));
        }
    }
    Process { child, addrs }
}

/// A loopback port that nothing listens on, for a server a test starts (or restarts) later at a
/// known address.
///
/// It is taken from below the kernel's ephemeral range: a port that range hands out for a
/// `port 0` bind or an outgoing connection elsewhere in the same test binary could be taken
/// between our check and the server's bind (CI saw a restarted backend lose its port that
/// way). Ports are handed out in turn from a per-process start, so the tests of one binary
/// never get the same one.
pub fn unused_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral_low: u32 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    let (low, span) = (10_000, ephemeral_low.saturating_sub(10_000).max(1));
    let start = std::process::id() * 97;
    for _ in 0..span {
        let port = low + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let port = u16::try_from(port).expect("port below the ephemeral range");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no unused loopback port below {ephemeral_low}");
}

/// GET `url` with extra headers; returns status, headers and body.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, http::HeaderMap, String) {
    send(http::Method::GET, url, headers, Bytes::new()).await
}

/// GET `url`; `None` when nothing answers (a server still starting).
pub async fn try_get(url: &str) -> Option<(u16, String)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.get(url.parse().ok()?).await.ok()?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Sends one request; returns status, headers and body.
pub async fn send(
    method: http::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> (u16, http::HeaderMap, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = client
        .request(request.body(Full::new(body)).unwrap())
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the sample `name{labels}` on `process`'s `/metrics` (0 when absent).
pub async fn metric(process: &Process, name: &str, labels: &str) -> f64 {
    let url = format!("http://{}/metrics", process.addrs["http"]);
    let (status, _, body) = get(&url, &[]).await;
    assert_eq!(status, 200);
    let series = format!("{name}{{{labels}}} ");
    body.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// Polls `url` every 100 ms (at most `timeout`) until `ready` accepts the JSON answer.
pub async fn poll_json(
    url: &str,
    timeout: Duration,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let (_, _, body) = get(url, &[]).await;
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        if ready(&json) {
            return json;
        }
        assert!(
            Instant::now() < deadline,
            "timed out polling {url}: last answer {json}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Arguments that start a sidecar for `service` in front of `app`, every listener on
/// 127.0.0.1:0.
pub fn sidecar_args<'a>(service: &'a str, app: &'a str, collector: &'a str) -> Vec<&'a str> {
    vec![
        "sidecar",
        "--service",
        service,
        "--app",
        app,
        "--collector",
        collector,
        "--inbound",
        "127.0.0.1:0",
        "--outbound",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
        "--health",
        "127.0.0.1:0",
        "--metrics",
        "127.0.0.1:0",
    ]
}

/// Listeners a sidecar announces: inbound, outbound, admin, health, metrics.
pub const SIDECAR_LISTENERS: usize = 5;

/// Listeners a collector announces: OTLP/gRPC, OTLP/HTTP, Zipkin, HTTP, sampling HTTP and
/// sampling gRPC.
pub const COLLECTOR_LISTENERS: usize = 6;

/// Every collector listener on 127.0.0.1:0.
pub const LOCAL_COLLECTOR: [&str; 12] = [
    "--otlp-grpc",
    "127.0.0.1:0",
    "--otlp-http",
    "127.0.0.1:0",
    "--zipkin",
    "127.0.0.1:0",
    "--sampling-http",
    "127.0.0.1:0",
    "--sampling-grpc",
    "127.0.0.1:0",
    "--http",
    "127.0.0.1:0",
];

/// Starts `meshtrace collector` with every listener on 127.0.0.1:0, plus `extra` flags.
pub fn collector(extra: &[&str]) -> Process {
    let args = [&["collector"][..], &LOCAL_COLLECTOR[..], extra].concat();
    start(&args, COLLECTOR_LISTENERS)
}

/// Polls `{query}/api/traces/{trace}` (at most 15 s) until the trace has a span; its answer.
pub async fn wait_for_trace(query: &str, trace: &str) -> serde_json::Value {
    poll_json(
        &format!("{query}/api/traces/{trace}"),
        Duration::from_secs(15),
        |j| {
            j["data"][0]["spans"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        },
    )
    .await
}
