//! The handlers, in-process.

use http::StatusCode;

use super::*;
use crate::test_support::get_text;

fn state() -> MetricsState {
    let (aggregator, _) = fed();
    MetricsState {
        aggregator,
        pipeline: Some(Arc::new(pipeline)),
    }
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_text(router(state()), uri).await
}

#[tokio::test]
async fn metrics_endpoint_serves_openmetrics() {
    let (status, content_type, body) = get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, CONTENT_TYPE);
    assert!(body.contains("meshtrace_requests_total{"), "{body}");
}

#[tokio::test]
async fn latency_api_returns_percentiles_and_rejects_bad_windows() {
    let (status, _, body) =
        get("/api/v1/latency?service=checkout&operation=POST%20/pay&window=all").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["window"], "all");
    assert_eq!(json["series"], 1);
    assert_eq!(json["requests"], 60.0);
    assert_eq!(json["histogram_count"], 60);
    let p50 = json["percentiles"]["p50"].as_f64().unwrap();
    assert!((p50 - 0.003).abs() < 0.00001, "{p50}");
    assert!((json["percentiles"]["p999"].as_f64().unwrap() - 60.0).abs() < 0.1);
    let (status, _, body) = get("/api/v1/latency?service=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"percentiles\":null"), "{body}");
    let (status, _, body) = get("/api/v1/latency?window=2h").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown window"), "{body}");
    let (status, _, _) = get("/api/v1/latency?span_kind=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
