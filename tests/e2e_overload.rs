//! Overload: a collector over its memory limit refuses new data with 429 and `Retry-After`
//! (OTLP/HTTP), so senders back off instead of the collector running out of memory, and
//! counts the refusals on `/metrics`.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use bytes::Bytes;
use http::Method;

const ONE_SPAN: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /x","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000"}]}]}]}"#;

async fn post_span(collector: &support::Process) -> (u16, http::HeaderMap, String) {
    let url = format!("http://{}/v1/traces", collector.addrs["otlp-http"]);
    support::send(
        Method::POST,
        &url,
        &[("content-type", "application/json")],
        Bytes::from(ONE_SPAN),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_its_memory_limit_the_collector_refuses_with_retry_after() {
    // The same request is accepted by a collector without a limit...
    let roomy = support::collector(&[]);
    assert_eq!(post_span(&roomy).await.0, 200);

    // ...and refused by one whose 1 MiB limit any process is over.
    let tight = support::collector(&["--memory-limit-mib", "1"]);
    let (status, headers, body) = post_span(&tight).await;
    assert_eq!(status, 429, "{body}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    assert!(body.contains("memory limit"), "{body}");

    let metrics = format!("http://{}/metrics", tight.addrs["http"]);
    let (_, _, text) = support::get(&metrics, &[]).await;
    let refused = text
        .lines()
        .find(|l| {
            l.starts_with("meshtrace_receiver_refused_requests_total")
                && l.contains(r#"reason="memory_limit""#)
                && l.contains("otlp_http")
        })
        .unwrap_or_else(|| panic!("no memory_limit refusal counted in\n{text}"));
    assert!(
        refused.ends_with(" 1") || refused.ends_with(" 1.0"),
        "{refused}"
    );
}
