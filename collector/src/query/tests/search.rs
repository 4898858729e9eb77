//! `GET /api/traces` with every parameter the Jaeger UI sends, through the router.

use http::StatusCode;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use serde_json::{Value as Json, json};

use super::support::{app_with, get_json};
use crate::store::{SpanStatus, StoredSpan};
use crate::test_support::{kv_str, stored};

/// `stored` spans start at this instant plus their span id in µs.
const BASE_MICROS: u64 = 1_700_000_000_000_000;

fn span(trace: u128, id: u64, service: &str, name: &str, duration_ms: u64) -> StoredSpan {
    let base = stored(trace, id, None, service, name);
    StoredSpan {
        end_unix_nano: base.start_unix_nano + duration_ms * 1_000_000,
        ..base
    }
}

/// 0xa: fast GET (2 ms, http.status_code=200); 0xb: slow GET (1.5 s, error);
/// 0xc: POST (40 ms, customer=123), all of `web`.
fn app() -> axum::Router {
    let fast = StoredSpan {
        attributes: vec![kv_str("http.status_code", "200")],
        ..span(0xa, 10, "web", "GET", 2)
    };
    let slow = StoredSpan {
        status: SpanStatus {
            code: OtlpStatus::Error,
            message: String::new(),
        },
        ..span(0xb, 20, "web", "GET", 1_500)
    };
    let post = StoredSpan {
        attributes: vec![kv_str("customer", "123")],
        ..span(0xc, 30, "web", "POST", 40)
    };
    app_with(vec![fast, slow, post])
}

fn ids(body: &Json) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["traceID"]
                .as_str()
                .unwrap()
                .trim_start_matches('0')
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn every_filter_through_the_router() {
    let app = app();
    let start_c = BASE_MICROS + 30;
    #[rustfmt::skip]
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("service=web".into(),                                   vec!["c", "b", "a"]),
        ("service=web&operation=GET".into(),                     vec!["b", "a"]),
        ("service=web&minDuration=1s".into(),                    vec!["b"]),
        ("service=web&minDuration=1.2s".into(),                  vec!["b"]),
        ("service=web&maxDuration=500ms".into(),                 vec!["c", "a"]),
        ("service=web&minDuration=1ms&maxDuration=40ms".into(),  vec!["c", "a"]),
        ("service=web&minDuration=2000us&maxDuration=2ms".into(), vec!["a"]),
        ("service=web&tag=error:true".into(),                    vec!["b"]),
        ("service=web&tags=%7B%22customer%22%3A%22123%22%7D".into(), vec!["c"]),
        ("service=web&tags=%7B%22http.status_code%22%3A200%7D".into(), vec!["a"]),
        ("service=web&tag=customer:123&tag=error:true".into(),   vec![]),
        (format!("service=web&start={start_c}"),                 vec!["c"]),
        (format!("service=web&end={}", start_c - 1),             vec!["b", "a"]),
        (format!("service=web&lookback=1h&end={start_c}"),       vec!["c", "b", "a"]),
        (format!("service=web&lookback=custom&start={}&end={}", BASE_MICROS + 15, BASE_MICROS + 25), vec!["b"]),
        ("service=web&lookback=1h".into(),                       vec![]),
        ("service=web&limit=1".into(),                           vec!["c"]),
        ("service=web&limit=20&lookback=custom&minDuration=&maxDuration=&tags=%7B%7D".into(), vec!["c", "b", "a"]),
    ];
    for (query, want) in cases {
        let (status, body) = get_json(&app, &format!("/api/traces?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(ids(&body), want, "{query}");
        assert_eq!(body["total"], want.len(), "{query}");
    }
}

#[tokio::test]
async fn trace_ids_return_those_traces_and_name_the_missing() {
    let app = app();
    let (status, body) = get_json(
        &app,
        "/api/traces?traceID=a&traceID=00000000000000000000000000000fff&traceID=C&service=other",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&body), ["a", "c"]);
    assert_eq!(body["total"], 2);
    assert_eq!(
        body["errors"],
        json!([{"msg": "trace not found", "traceID": "00000000000000000000000000000fff"}])
    );
}

#[tokio::test]
async fn bad_parameters_are_400_envelopes_naming_them() {
    let app = app();
    #[rustfmt::skip]
    let cases: &[(&str, &str)] = &[
        ("minDuration=1x",               r#"unable to parse param 'minDuration': unknown unit "x" in duration "1x""#),
        ("maxDuration=fast",             r#"unable to parse param 'maxDuration': invalid duration "fast""#),
        ("minDuration=2s&maxDuration=1s","'maxDuration' should be greater than 'minDuration'"),
        ("start=now",                    r#"unable to parse param 'start': "now" is not a non-negative integer"#),
        ("end=-5",                       r#"unable to parse param 'end': "-5" is not a non-negative integer"#),
        ("limit=many",                   r#"unable to parse param 'limit': "many" is not a non-negative integer"#),
        ("lookback=forever",             r#"unable to parse param 'lookback': invalid duration "forever""#),
        ("tag=error",                    "malformed 'tag' parameter, expecting key:value, received: error"),
        ("tags=%7Bbroken",               "malformed 'tags' parameter, cannot unmarshal JSON: key must be a string at line 1 column 2"),
        ("traceID=nothex",               "unable to parse param 'traceID': trace id is not hex"),
    ];
    for (query, msg) in cases {
        let (status, body) = get_json(&app, &format!("/api/traces?service=web&{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            body,
            json!({"data": null, "total": 0, "limit": 0, "offset": 0,
                   "errors": [{"code": 400, "msg": msg}]}),
            "{query}"
        );
    }
}
