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
    assert_eq!(view["strategy"]["probabilisticSampling"]["samplingRate"], 0.0);

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
    assert_eq!((view["source"].as_str(), view["version"].as_u64()), (Some("local"), Some(2)));
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
