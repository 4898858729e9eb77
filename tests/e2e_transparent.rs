//! Transparent mode in a real network namespace: `meshtrace iptables` installs the REDIRECT
//! rules inside a "pod", the sidecar runs there as uid 1337, and neither the pod's client nor
//! its app knows the sidecar exists. Outbound HTTP is traced and carries injected context,
//! inbound HTTP is captured, and non-HTTP TCP passes through untouched.
//!
//! Needs root, iproute2, iptables, curl, setpriv and python3; skipped with a message when
//! they are missing, unless `MESHTRACE_REQUIRE_NETNS=1` (set by `.ci/run`) makes that a
//! failure.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::netns::{Pod, REQUIRE_ENV, unavailable};

/// The app inside the pod listens here (loopback only, as many sidecar-fronted apps do).
const APP_PORT: u16 = 8080;

/// A copy of the binary that uid 1337 can execute wherever the build folder lives.
fn binary_for_proxy_user(dir: &std::path::Path) -> String {
    let path = dir.join("meshtrace");
    std::fs::copy(env!("CARGO_BIN_EXE_meshtrace"), &path).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

fn tag<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .map(|t| &t["value"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_sidecar_in_a_network_namespace() {
    if let Some(why) = unavailable() {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but {why}"
        );
        eprintln!("SKIPPED transparent_sidecar_in_a_network_namespace: {why}");
        return;
    }
    let pod = Pod::create();
    let host = pod.host_ip.to_string();

    // Outside the pod: the collector and two upstreams, on the host side of the veth.
    let collector = support::start(
        &[
            "collector",
            "--otlp-grpc",
            &format!("{host}:0"),
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
        ],
        support::COLLECTOR_LISTENERS,
    );
    let query = format!("http://{}", collector.addrs["http"]);
    let echo = support::apps::traceparent_echo_on(&format!("{host}:0")).await;
    let tcp_echo = support::apps::tcp_echo_on(&format!("{host}:0")).await;

    // Inside the pod: the rules (the real command), the app, the sidecar as uid 1337.
    pod.exec_ok(&[env!("CARGO_BIN_EXE_meshtrace"), "iptables"]);
    let tmp = std::env::temp_dir().join(format!("meshtrace-netns-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let proxy_binary = binary_for_proxy_user(&tmp);
    let mut app = pod
        .command(&[
            "python3",
            "-m",
            "http.server",
            &APP_PORT.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let collector_url = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let app_addr = format!("127.0.0.1:{APP_PORT}");
    let sidecar_command = pod.command(&[
        "setpriv",
        "--reuid=1337",
        "--regid=1337",
        "--clear-groups",
        &proxy_binary,
        "sidecar",
        "--service",
        "pod-app",
        "--app",
        &app_addr,
        "--collector",
        &collector_url,
        "--transparent",
    ]);
    let _sidecar = support::start_command(sidecar_command, support::SIDECAR_LISTENERS);

    // Wait for the app (through the capture path) before asserting anything.
    let inbound_url = format!("http://{}:{APP_PORT}/", pod.pod_ip);
    let deadline = Instant::now() + Duration::from_secs(20);
    let caller_trace = "6bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{caller_trace}-00f067aa0ba902b7-01");
    loop {
        let (status, _, _) = support::get(&inbound_url, &[("traceparent", &traceparent)]).await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "app behind the sidecar never answered: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Outbound HTTP from a client that knows nothing of the sidecar: captured and traced.
    let out = pod.exec(&[
        "curl",
        "-s",
        "--max-time",
        "10",
        &format!("http://{echo}/hello"),
    ]);
    let seen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts: Vec<&str> = seen.split('-').collect();
    assert_eq!(
        parts.len(),
        4,
        "the upstream got no traceparent from the sidecar: {seen:?}"
    );
    let (trace, client_span) = (parts[1], parts[2]);

    let answer = support::wait_for_trace(&query, trace).await;
    let span = &answer["data"][0]["spans"][0];
    assert_eq!(span["spanID"], client_span);
    assert_eq!(tag(span, "span.kind"), Some(&Value::from("client")));
    assert_eq!(
        tag(span, "server.address"),
        Some(&Value::from(host.as_str()))
    );
    assert_eq!(tag(span, "server.port"), Some(&Value::from(echo.port())));
    assert_eq!(span["operationName"], "GET /hello");

    // Inbound HTTP to the pod's address was captured: the server span joined our trace.
    let answer = support::wait_for_trace(&query, caller_trace).await;
    let span = &answer["data"][0]["spans"][0];
    assert_eq!(tag(span, "span.kind"), Some(&Value::from("server")));
    assert_eq!(span["references"][0]["spanID"], "00f067aa0ba902b7");

    // Non-HTTP TCP from the pod passes through byte for byte.
    let script = format!(
        "import socket; s = socket.create_connection(('{}', {}), timeout=10); \
         s.sendall(b'\\x00\\x01 not http'); print(s.recv(64))",
        host,
        tcp_echo.port()
    );
    let out = pod.exec(&["python3", "-c", &script]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r"b'\x00\x01 not http'",
        "{out:?}"
    );

    // ...and it went through the sidecar, not around it.
    let metrics = format!("http://{}:15090/stats/prometheus", pod.pod_ip);
    let (_, _, text) = support::get(&metrics, &[]).await;
    let line = text
        .lines()
        .find(|l| l.starts_with("meshtrace_sidecar_tcp_connections_total"));
    assert_eq!(
        line,
        Some("meshtrace_sidecar_tcp_connections_total 1"),
        "{text}"
    );

    let _ = app.kill();
    let _ = app.wait();
    let _ = std::fs::remove_dir_all(&tmp);
}
