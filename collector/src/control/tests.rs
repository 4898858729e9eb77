use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::time::Instant;
use tower::ServiceExt;

use super::*;
use crate::strategy::{ChangeOrigin, ServiceEntry, StrategiesDocument};

const TOKEN: &str = "let-me-in";

fn setup(token: Option<&str>) -> (Arc<StrategyStore>, Router) {
    let store = Arc::new(StrategyStore::in_memory(StrategiesDocument::default()).unwrap());
    let state = ControlState::new(Arc::clone(&store), token.and_then(AdminToken::new));
    (store, router(state))
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

const FOO: &str = r#"{"service": "foo", "type": "probabilistic", "param": 0.25,
    "operation_strategies": [{"operation": "GET /x", "type": "probabilistic", "param": 1.0}]}"#;

#[tokio::test]
async fn writes_need_the_token_reads_do_not() {
    let (store, app) = setup(Some(TOKEN));
    let uri = "/api/v1/sampling/services/foo";
    for token in [None, Some("wrong")] {
        let (status, body) = send(&app, Method::PUT, uri, token, FOO).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
        assert_eq!(
            send(&app, Method::DELETE, uri, token, "").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(&app, Method::PUT, "/api/v1/sampling", token, "{}")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(store.current().version, 1);

    let (status, body) = send(&app, Method::PUT, uri, Some(TOKEN), FOO).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["service_strategy"]["param"], 0.25);
    assert!(body["updated"].as_str().unwrap().ends_with('Z'), "{body}");

    let (status, body) = send(&app, Method::GET, uri, None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::from_str::<Value>(FOO).unwrap());
}

#[tokio::test]
async fn bodies_are_validated_whole() {
    let (store, app) = setup(None);
    let uri = "/api/v1/sampling/services/foo";
    #[rustfmt::skip]
    let cases = [
        ("not json: [", StatusCode::BAD_REQUEST, "invalid body"),
        (r#"{"type": "probabilistic", "param": 0.1, "extra": 1}"#, StatusCode::BAD_REQUEST, "extra"),
        (r#"{"type": "probabilistic", "param": 1.5}"#, StatusCode::UNPROCESSABLE_ENTITY, "param 1.5"),
        (r#"{"service": "bar", "type": "probabilistic", "param": 0.1}"#, StatusCode::BAD_REQUEST, "\"bar\""),
        (r#"{"type": "probabilistic", "param": 0.1, "operation_strategies": [
            {"operation": "a", "type": "ratelimiting", "param": 3}]}"#,
            StatusCode::UNPROCESSABLE_ENTITY, "only `probabilistic`"),
    ];
    for (body, want_status, want_text) in cases {
        let (status, answer) = send(&app, Method::PUT, uri, None, body).await;
        assert_eq!(status, want_status, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(want_text), "{body}: {error}");
    }
    assert_eq!(store.current().version, 1);

    // YAML, and the service taken from the path.
    let (status, _) = send(
        &app,
        Method::PUT,
        uri,
        None,
        "type: ratelimiting\nparam: 7\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(store.current().service_entry("foo").unwrap().param, 7.0);
}

#[tokio::test]
async fn list_replace_get_and_delete() {
    let (store, app) = setup(None);
    let (status, body) = send(&app, Method::GET, "/api/v1/sampling", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 1);
    assert_eq!(body["strategies"], json!({"service_strategies": []}));

    let document = r#"{"default_strategy": {"type": "probabilistic", "param": 0.5},
        "service_strategies": [{"service": "a", "type": "ratelimiting", "param": 2.0}]}"#;
    let (status, body) = send(&app, Method::PUT, "/api/v1/sampling", None, document).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["strategies"],
        serde_json::from_str::<Value>(document).unwrap()
    );
    assert!(body["updated_unix_ms"].as_u64().unwrap() > 0);

    let uri = "/api/v1/sampling/services/a";
    let (status, body) = send(&app, Method::DELETE, uri, None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 3);
    assert!(body.get("service_strategy").is_none());
    let (status, body) = send(&app, Method::DELETE, uri, None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("\"a\""));
    assert_eq!(
        send(&app, Method::GET, uri, None, "").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(store.current().version, 3);
}

fn api() -> ChangeOrigin {
    ChangeOrigin::Api { who: "test".into() }
}

#[tokio::test(start_paused = true)]
async fn watch_answers_at_once_when_the_version_differs() {
    let (store, app) = setup(None);
    let (status, body) = send(
        &app,
        Method::GET,
        "/api/v1/sampling/watch?service=a",
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // No entry and no default: the sidecar keeps its own default.
    assert_eq!(body["version"], 1);
    assert_eq!(body["strategy"], Value::Null);

    store
        .put_service(ServiceEntry::probabilistic("a", 0.5), &api())
        .unwrap();
    let start = Instant::now();
    let (_, body) = send(
        &app,
        Method::GET,
        "/api/v1/sampling/watch?service=a&version=1",
        None,
        "",
    )
    .await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["strategy"],
        json!({"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.5}})
    );

    for bad in [
        "",
        "?version=1",
        "?service=a&version=x",
        "?service=a&version=2&timeout=soon",
    ] {
        let uri = format!("/api/v1/sampling/watch{bad}");
        assert_eq!(
            send(&app, Method::GET, &uri, None, "").await.0,
            StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn watch_waits_for_a_change_or_the_timeout() {
    let (store, app) = setup(None);
    let uri = "/api/v1/sampling/watch?service=a&version=1";

    // A change wakes the watch at once.
    let start = Instant::now();
    let pending = tokio::spawn({
        let app = app.clone();
        async move { send(&app, Method::GET, uri, None, "").await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    store
        .put_service(ServiceEntry::probabilistic("a", 0.1), &api())
        .unwrap();
    let (status, body) = pending.await.unwrap();
    assert_eq!(
        (status, body["version"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(5));

    // Without one: 30 s by default, `timeout=` otherwise, never more than 60 s.
    #[rustfmt::skip]
    let cases = [("", 30), ("&timeout=2", 2), ("&timeout=500ms", 0), ("&timeout=10m", 60)];
    for (timeout, secs) in cases {
        let start = Instant::now();
        let uri = format!("/api/v1/sampling/watch?service=a&version=2{timeout}");
        let (status, body) = send(&app, Method::GET, &uri, None, "").await;
        assert_eq!(
            (status, body["version"].as_u64()),
            (StatusCode::OK, Some(2))
        );
        assert_eq!(start.elapsed().as_secs(), secs, "{timeout}");
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_pending_watches() {
    let store = Arc::new(StrategyStore::in_memory(StrategiesDocument::default()).unwrap());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let app = router(ControlState::new(store, None).with_shutdown(stop_rx));
    let start = Instant::now();
    let pending = tokio::spawn(async move {
        send(
            &app,
            Method::GET,
            "/api/v1/sampling/watch?service=a&version=1",
            None,
            "",
        )
        .await
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.send(true).unwrap();
    assert_eq!(pending.await.unwrap().0, StatusCode::OK);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}
