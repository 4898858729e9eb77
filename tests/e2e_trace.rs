//! End to end across real processes: caller -> sidecar A -> app A -> sidecar A (outbound) ->
//! sidecar B -> app B, spans exported over OTLP/gRPC to a real collector, read back through
//! the Jaeger query API.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// App A calls B through its own sidecar's outbound listener (known once that sidecar has
/// started, hence the cell), copying the trace headers, and answers with B's answer.
async fn app_a(sidecar: Arc<OnceLock<(SocketAddr, SocketAddr)>>) -> SocketAddr {
    support::apps::serve(move |req: Request<Incoming>| {
        let sidecar = sidecar.clone();
        async move {
            let (outbound, b_inbound) =
                *sidecar.get().expect("sidecar addresses set before traffic");
            let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
            let mut call =
                Request::get(format!("http://{outbound}/b")).header("host", b_inbound.to_string());
            for name in sampler::propagation::APP_PROPAGATED_HEADERS {
                for value in req.headers().get_all(*name) {
                    call = call.header(*name, value.clone());
                }
            }
            let answer = client
                .request(call.body(Empty::new()).unwrap())
                .await
                .unwrap();
            let body = answer.into_body().collect().await.unwrap().to_bytes();
            Response::new(Full::new(body))
        }
    })
    .await
}

fn tag<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .map(|t| &t["value"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hops_make_one_trace_with_correct_parents() {
    let collector = support::collector(&[]);
    let otlp = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let query = format!("http://{}", collector.addrs["http"]);

    let b = support::apps::traceparent_echo().await.to_string();
    let sidecar_b = support::start(
        &support::sidecar_args("svc-b", &b, &otlp),
        support::SIDECAR_LISTENERS,
    );
    let routes = Arc::new(OnceLock::new());
    let a = app_a(routes.clone()).await.to_string();
    let sidecar_a = support::start(
        &support::sidecar_args("svc-a", &a, &otlp),
        support::SIDECAR_LISTENERS,
    );
    routes
        .set((sidecar_a.addrs["outbound"], sidecar_b.addrs["inbound"]))
        .unwrap();
    let ready = format!("http://{}/healthz/ready", sidecar_a.addrs["health"]);
    assert_eq!(support::get(&ready, &[]).await.0, 200);

    // Not sampled upstream: propagated, never recorded.
    let unsampled_trace = "0af7651916cd43dd8448eb211c80319c";
    let entry = format!("http://{}/a", sidecar_a.addrs["inbound"]);
    let tp = format!("00-{unsampled_trace}-b7ad6b7169203331-00");
    let (status, _, seen_by_b) = support::get(&entry, &[("traceparent", &tp)]).await;
    assert_eq!(status, 200);
    assert!(
        seen_by_b.starts_with(&format!("00-{unsampled_trace}-")),
        "{seen_by_b}"
    );
    assert!(seen_by_b.ends_with("-00"), "{seen_by_b}");

    // Sampled upstream: the caller's span is the root's parent.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let tp = format!("00-{trace}-{caller_span}-01");
    let (status, _, seen_by_b) = support::get(&entry, &[("traceparent", &tp)]).await;
    assert_eq!(status, 200);

    let url = format!("{query}/api/traces/{trace}");
    let answer = support::poll_json(&url, Duration::from_secs(15), |j| {
        j["data"][0]["spans"]
            .as_array()
            .is_some_and(|s| s.len() >= 3)
    })
    .await;
    let t = &answer["data"][0];
    let spans = t["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 3, "{t}");
    let find = |service: &str, kind: &str| {
        spans
            .iter()
            .find(|s| {
                t["processes"][s["processID"].as_str().unwrap()]["serviceName"] == service
                    && tag(s, "span.kind").is_some_and(|k| k == kind)
            })
            .unwrap_or_else(|| panic!("no {kind} span of {service} in {t}"))
    };
    let a_server = find("svc-a", "server");
    let a_client = find("svc-a", "client");
    let b_server = find("svc-b", "server");
    let parent = |s: &Value| s["references"][0]["spanID"].as_str().unwrap().to_owned();
    for s in spans {
        assert_eq!(s["traceID"], trace);
        assert_eq!(s["references"][0]["refType"], "CHILD_OF");
        assert_eq!(tag(s, "http.response.status_code"), Some(&Value::from(200)));
    }
    assert_eq!(parent(a_server), caller_span);
    assert_eq!(parent(a_client), a_server["spanID"].as_str().unwrap());
    assert_eq!(parent(b_server), a_client["spanID"].as_str().unwrap());
    // What app B received names B's server span as its parent.
    assert_eq!(
        seen_by_b,
        format!("00-{trace}-{}-01", b_server["spanID"].as_str().unwrap())
    );
    // The upstream decision was honoured, not re-made: no root sampler tags.
    assert!(tag(a_server, "sampler.type").is_none());

    // Spans are exported in order per sidecar, so the unsampled request's would be here by now.
    let (status, _, _) = support::get(&format!("{query}/api/traces/{unsampled_trace}"), &[]).await;
    assert_eq!(status, 404);

    // RED metrics count every request, sampled or not.
    let metrics = format!("http://{}/stats/prometheus", sidecar_a.addrs["metrics"]);
    let (status, _, text) = support::get(&metrics, &[]).await;
    assert_eq!(status, 200);
    for (series, want) in [
        (
            r#"meshtrace_sidecar_requests_total{direction="inbound",status_class="2xx"}"#,
            "2",
        ),
        (
            r#"meshtrace_sidecar_requests_total{direction="outbound",status_class="2xx"}"#,
            "2",
        ),
        (
            r#"meshtrace_sidecar_request_duration_seconds_count{direction="inbound",status_class="2xx"}"#,
            "2",
        ),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(series))
            .unwrap_or_else(|| panic!("{series} in {text}"));
        assert_eq!(line.rsplit(' ').next(), Some(want), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_trace_is_sampled_by_the_consistent_rule_and_records_its_sampler() {
    let collector = support::collector(&[]);
    let otlp = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let query = format!("http://{}", collector.addrs["http"]);
    let b = support::apps::traceparent_echo().await.to_string();
    let mut args = support::sidecar_args("svc-b", &b, &otlp);
    args.extend(["--sampling-probability", "0.5"]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let entry = format!("http://{}/b", sidecar.addrs["inbound"]);

    // R is the low 56 bits of the trace id (B3 carries no rv); p = 0.5 keeps R >= 2^55.
    let kept = "00000000000000000080000000000000";
    let dropped = "0000000000000000007fffffffffffff";
    let deferred =
        |trace: &'static str| [("x-b3-traceid", trace), ("x-b3-spanid", "00f067aa0ba902b7")];
    let (_, _, seen) = support::get(&entry, &deferred(dropped)).await;
    assert!(seen.ends_with("-00"), "{seen}");
    let (_, _, seen) = support::get(&entry, &deferred(kept)).await;
    assert!(seen.ends_with("-01"), "{seen}");

    let answer = support::wait_for_trace(&query, kept).await;
    let span = &answer["data"][0]["spans"][0];
    assert_eq!(
        tag(span, "sampler.type"),
        Some(&Value::from("probabilistic"))
    );
    assert_eq!(tag(span, "sampler.param"), Some(&Value::from(0.5)));
    let (status, _, _) = support::get(&format!("{query}/api/traces/{dropped}"), &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_on_a_known_route_carries_http_route_and_is_named_after_it() {
    let collector = support::collector(&[]);
    let otlp = format!("grpc://{}", collector.addrs["otlp-grpc"]);
    let query = format!("http://{}", collector.addrs["http"]);
    let b = support::apps::traceparent_echo().await.to_string();
    let mut args = support::sidecar_args("svc-b", &b, &otlp);
    args.extend(["--route", "/reviews/{id}", "--route", "/static/{path*}"]);
    let sidecar = support::start(&args, support::SIDECAR_LISTENERS);
    let inbound = sidecar.addrs["inbound"];

    let cases = [
        (
            "/reviews/7",
            "00000000000000000000000000000a01",
            Some("/reviews/{id}"),
        ),
        (
            "/static/css/a.css",
            "00000000000000000000000000000a02",
            Some("/static/{path*}"),
        ),
        ("/ratings/7", "00000000000000000000000000000a03", None),
    ];
    for (path, trace, _) in cases {
        let parent = format!("00-{trace}-00f067aa0ba902b7-01");
        support::get(
            &format!("http://{inbound}{path}"),
            &[("traceparent", &parent)],
        )
        .await;
    }
    for (path, trace, route) in cases {
        let answer = support::wait_for_trace(&query, trace).await;
        let span = &answer["data"][0]["spans"][0];
        let name = format!("GET {}", route.unwrap_or(path));
        assert_eq!(span["operationName"], Value::from(name), "{path}");
        assert_eq!(
            tag(span, "http.route"),
            route.map(Value::from).as_ref(),
            "{path}"
        );
        assert_eq!(tag(span, "url.path"), Some(&Value::from(path)), "{path}");
    }
}
