use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;
use tower::ServiceExt;

use super::proto::{
    OperationSamplingStrategy, PerOperationSamplingStrategies, ProbabilisticSamplingStrategy,
    RateLimitingSamplingStrategy, SamplingStrategyParameters, SamplingStrategyResponse,
    SamplingStrategyType,
};
use super::*;
use crate::strategy::{StrategyStore, parse};

pub(super) fn store() -> Arc<StrategyStore> {
    let document = parse(
        br#"{
        "default_strategy": {"type": "probabilistic", "param": 0.5},
        "service_strategies": [
            {"service": "foo", "type": "probabilistic", "param": 0.8, "operation_strategies": [
                {"operation": "GET /hot", "type": "probabilistic", "param": 0}]},
            {"service": "bar", "type": "ratelimiting", "param": 5}
        ]}"#,
    )
    .unwrap();
    Arc::new(StrategyStore::in_memory(document).unwrap())
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    let response = router(store())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()[http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn http_answers_byte_for_byte_as_jaeger() {
    for path in ["/sampling", "/api/sampling"] {
        let (status, content_type, body) = get(&format!("{path}?service=bar")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/json");
        assert_eq!(
            body,
            r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}}"#
        );
    }
    let (_, _, body) = get("/sampling?service=nobody").await;
    assert_eq!(
        body,
        r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5}}"#
    );
    let (_, _, body) = get("/sampling?service=foo").await;
    assert_eq!(
        body,
        concat!(
            r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.8},"#,
            r#""operationSampling":{"defaultSamplingProbability":0.8,"defaultLowerBoundTracesPerSecond":0,"#,
            r#""perOperationStrategies":[{"operation":"GET /hot","probabilisticSampling":{"samplingRate":0}}],"#,
            r#""defaultUpperBoundTracesPerSecond":0}}"#
        )
    );
}

#[tokio::test]
async fn http_wants_service_exactly_once() {
    for uri in [
        "/sampling",
        "/sampling?other=1",
        "/api/sampling?service=a&service=b",
    ] {
        let (status, content_type, body) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(content_type, "text/plain; charset=utf-8");
        assert_eq!(body, "'service' parameter must be provided once\n");
    }
    // An empty name is a name (Jaeger answers the default).
    assert_eq!(get("/sampling?service=").await.0, StatusCode::OK);
}

async fn grpc_client(store: Arc<StrategyStore>) -> tonic::client::Grpc<Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(SamplingManagerService::new(store))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    tonic::client::Grpc::new(channel)
}

async fn call(
    client: &mut tonic::client::Grpc<Channel>,
    path: &'static str,
    service: &str,
) -> Result<SamplingStrategyResponse, tonic::Status> {
    client.ready().await.unwrap();
    let request = tonic::Request::new(SamplingStrategyParameters {
        service_name: service.to_owned(),
    });
    client
        .unary(
            request,
            http::uri::PathAndQuery::from_static(path),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn grpc_get_sampling_strategy_over_a_socket() {
    let mut client = grpc_client(store()).await;
    let bar = call(&mut client, GET_SAMPLING_STRATEGY_PATH, "bar")
        .await
        .unwrap();
    assert_eq!(
        bar,
        SamplingStrategyResponse {
            strategy_type: SamplingStrategyType::RateLimiting as i32,
            probabilistic_sampling: None,
            rate_limiting_sampling: Some(RateLimitingSamplingStrategy {
                max_traces_per_second: 5
            }),
            operation_sampling: None,
        }
    );
    let foo = call(&mut client, GET_SAMPLING_STRATEGY_PATH, "foo")
        .await
        .unwrap();
    assert_eq!(
        foo.operation_sampling,
        Some(PerOperationSamplingStrategies {
            default_sampling_probability: 0.8,
            default_lower_bound_traces_per_second: 0.0,
            per_operation_strategies: vec![OperationSamplingStrategy {
                operation: "GET /hot".into(),
                probabilistic_sampling: Some(ProbabilisticSamplingStrategy { sampling_rate: 0.0 }),
            }],
            default_upper_bound_traces_per_second: 0.0,
        })
    );
    let other = call(&mut client, GET_SAMPLING_STRATEGY_PATH, "")
        .await
        .unwrap();
    assert_eq!(
        other.probabilistic_sampling,
        Some(ProbabilisticSamplingStrategy { sampling_rate: 0.5 })
    );
    let err = call(&mut client, "/jaeger.api_v2.SamplingManager/Nope", "x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
}
