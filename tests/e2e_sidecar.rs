//! The sidecar on its own, as a real process: sampling changed at runtime through the admin
//! API, validated whole, and in force for the next request.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use bytes::Bytes;
use http::Method;
use serde_json::Value;

/// The sampled bit of a `traceparent` (the random bit 0x02 is set on traces the sidecar starts).
fn sampled(traceparent: &str) -> bool {
    let flags = traceparent.rsplit('-').next().unwrap();
    u8::from_str_radix(flags, 16).unwrap() & 1 == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_put_sampling_takes_effect_on_the_next_request() {
    let app = support::apps::traceparent_echo().await.to_string();
    // No collector listens on port 9: spans are dropped and counted, requests unaffected.
    let mut args = support::sidecar_args("svc", &app, "grpc://127.0.0.1:9");
    args.extend(["--sampling-probability", "0"]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let entry = format!("http://{}/x", sidecar.addrs["inbound"]);
    let admin = format!("http://{}/sampling", sidecar.addrs["admin"]);

    let (status, _, seen) = support::get(&entry, &[]).await;
    assert_eq!(status, 200);
    assert!(!sampled(&seen), "p = 0 samples nothing: {seen}");

    let (_, _, body) = support::get(&admin, &[]).await;
    let view: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["source"], "default");
    assert_eq!(view["version"], 1);
    assert_eq!(view["strategy"]["strategyType"], "PROBABILISTIC");
    assert_eq!(
        view["strategy"]["probabilisticSampling"]["samplingRate"],
        0.0
    );

    // Invalid: refused whole, the old strategy stays.
    let bad = r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":2}}"#;
    let (status, _, message) = support::send(Method::PUT, &admin, &[], Bytes::from(bad)).await;
    assert_eq!(status, 400, "{message}");
    assert!(message.contains("invalid strategy"), "{message}");
    let (status, _, _) = support::send(Method::PUT, &admin, &[], Bytes::from("{nope")).await;
    assert_eq!(status, 400);
    let (_, _, seen) = support::get(&entry, &[]).await;
    assert!(!sampled(&seen), "{seen}");

    let all = r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}"#;
    let (status, _, body) = support::send(Method::PUT, &admin, &[], Bytes::from(all)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["version"], 2);
    let (_, _, seen) = support::get(&entry, &[]).await;
    assert!(sampled(&seen), "p = 1 samples everything: {seen}");
    let (_, _, body) = support::get(&admin, &[]).await;
    let view: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (view["source"].as_str(), view["version"].as_u64()),
        (Some("local"), Some(2))
    );

    // Removing the override restores the default.
    let (status, _, _) = support::send(Method::DELETE, &admin, &[], Bytes::new()).await;
    assert_eq!(status, 200);
    let (_, _, seen) = support::get(&entry, &[]).await;
    assert!(!sampled(&seen), "{seen}");
    let view: Value = serde_json::from_str(&support::get(&admin, &[]).await.2).unwrap();
    assert_eq!(
        (view["source"].as_str(), view["version"].as_u64()),
        (Some("default"), Some(3))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_get_config_shows_the_configuration_in_force() {
    let app = support::apps::traceparent_echo().await.to_string();
    let mut args = support::sidecar_args("svc-config", &app, "grpc://127.0.0.1:9");
    args.extend([
        "--sampling-probability",
        "0.25",
        "--propagation",
        "w3c,jaeger",
        "--route",
        "/reviews/{id}",
        "--upstream-timeout",
        "3s",
        "--upstream-idle-timeout",
        "30s",
    ]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let (status, _, body) =
        support::get(&format!("http://{}/config", sidecar.addrs["admin"]), &[]).await;
    assert_eq!(status, 200);
    let config: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(config["service"], "svc-config");
    assert_eq!(config["app"], Value::from(app));
    assert_eq!(config["sampling_probability"], 0.25);
    assert_eq!(config["propagation"], serde_json::json!(["w3c", "jaeger"]));
    assert_eq!(config["routes"], serde_json::json!(["/reviews/{id}"]));
    assert_eq!(config["upstream_timeout_ms"], 3000);
    assert_eq!(config["upstream_idle_timeout_ms"], 30000);
    assert_eq!(config["collector"], "grpc://127.0.0.1:9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_trace_from_the_pod_itself_is_honoured() {
    let app = support::apps::traceparent_echo().await.to_string();
    let mut args = support::sidecar_args("svc", &app, "grpc://127.0.0.1:9");
    args.extend(["--sampling-probability", "0"]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    // The test calls from 127.0.0.1, i.e. from inside the pod: trusted.
    let entry = format!("http://{}/x", sidecar.addrs["inbound"]);
    let (_, _, seen) = support::get(&entry, &[("x-envoy-force-trace", "true")]).await;
    assert!(sampled(&seen), "{seen}");
}

/// An HTTP/1.1 app that sends its response headers at once and the body `delay` later.
async fn slow_body_app(delay: std::time::Duration) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
                    .await;
                tokio::time::sleep(delay).await;
                let _ = stream.write_all(b"hello").await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_runs_until_the_response_body_ends() {
    let app = slow_body_app(std::time::Duration::from_millis(300))
        .await
        .to_string();
    let sidecar = support::start(
        &support::sidecar_args("slow", &app, "grpc://127.0.0.1:9"),
        support::SIDECAR_LISTENERS,
    );
    let (status, _, body) =
        support::get(&format!("http://{}/x", sidecar.addrs["inbound"]), &[]).await;
    assert_eq!((status, body.as_str()), (200, "hello"));
    let metrics = format!("http://{}/stats/prometheus", sidecar.addrs["metrics"]);
    let (_, _, text) = support::get(&metrics, &[]).await;
    let bucket = |le: &str| {
        let series = format!(
            r#"meshtrace_sidecar_request_duration_seconds_bucket{{le="{le}",direction="inbound",status_class="2xx"}}"#
        );
        let line = text
            .lines()
            .find(|l| l.starts_with(&series))
            .unwrap_or_else(|| panic!("{series} in {text}"));
        line.rsplit(' ').next().unwrap().to_owned()
    };
    // Headers came back at once; the exchange took 300 ms because the body did.
    assert_eq!(bucket("0.25"), "0");
    assert_eq!(bucket("0.5"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_keep_working_while_the_collector_is_down() {
    let collector = support::collector(&[]);
    let otlp = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let app = support::apps::traceparent_echo().await.to_string();
    let sidecar = support::start(
        &support::sidecar_args("svc", &app, &otlp),
        support::SIDECAR_LISTENERS,
    );
    let entry = format!("http://{}/x", sidecar.addrs["inbound"]);
    let stats = format!("http://{}/stats", sidecar.addrs["admin"]);
    let counter = |text: &str, name: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("meshtrace.{name}:")))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };

    assert_eq!(support::get(&entry, &[]).await.0, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while counter(&support::get(&stats, &[]).await.2, "spans_exported") < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "first span never exported"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    drop(collector); // killed
    for _ in 0..20 {
        assert_eq!(support::get(&entry, &[]).await.0, 200);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = support::get(&stats, &[]).await.2;
        let (failed, exported) = (
            counter(&text, "spans_export_failed"),
            counter(&text, "spans_exported"),
        );
        // Every span is accounted for: exported before the kill, or failed after it.
        if failed + exported == 21 {
            assert_eq!(counter(&text, "requests"), 21);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "spans unaccounted for:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_times_out_with_504() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let mut args = support::sidecar_args("silent", &app, "grpc://127.0.0.1:9");
    args.extend(["--upstream-timeout", "300ms"]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let started = std::time::Instant::now();
    let (status, _, body) =
        support::get(&format!("http://{}/x", sidecar.addrs["inbound"]), &[]).await;
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("upstream timeout"), "{body}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

/// An HTTP/1.1 app that answers each request with the number of the connection it came on.
async fn connection_numbering_app() -> std::net::SocketAddr {
    use std::convert::Infallible;

    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut accepted = 0u32;
        while let Ok((stream, _)) = listener.accept().await {
            accepted += 1;
            let number = Bytes::from(accepted.to_string());
            tokio::spawn(async move {
                let service = service_fn(move |_request| {
                    let body = Full::new(number.clone());
                    async move { Ok::<_, Infallible>(http::Response::new(body)) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_reuse_the_upstream_connection() {
    let app = connection_numbering_app().await.to_string();
    let mut args = support::sidecar_args("reuse", &app, "grpc://127.0.0.1:9");
    args.extend(["--concurrency", "1"]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let url = format!("http://{}/", sidecar.addrs["inbound"]);
    let mut connections = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let (status, _, body) = support::get(&url, &[]).await;
        assert_eq!(status, 200, "{body}");
        connections.insert(body);
    }
    // Every request comes on a new downstream connection; upstream, the worker's pool hands
    // back the connection the previous request used. One that raced the previous check-in may
    // open a second connection, never a third (both are pooled from then on).
    assert!(connections.len() <= 2, "{connections:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_answered_502() {
    // Nothing listens there.
    let app = format!("127.0.0.1:{}", support::unused_port());
    let sidecar = support::start(
        &support::sidecar_args("refused", &app, "grpc://127.0.0.1:9"),
        support::SIDECAR_LISTENERS,
    );
    let (status, _, body) =
        support::get(&format!("http://{}/x", sidecar.addrs["inbound"]), &[]).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.starts_with("upstream unavailable"), "{body}");
    let admin = format!("http://{}/stats", sidecar.addrs["admin"]);
    let (_, _, stats) = support::get(&admin, &[]).await;
    assert!(stats.contains("meshtrace.upstream_errors: 1"), "{stats}");
}
