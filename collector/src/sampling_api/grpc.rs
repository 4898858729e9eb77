//! `jaeger.api_v2.SamplingManager/GetSamplingStrategy` (port 5779), a hand-written tonic
//! service shaped like tonic-build's output (jaeger-idl `proto/api_v2/sampling.proto`). As in
//! Jaeger's collector, any service name is answered (an unknown or empty one gets the
//! default strategy).

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::{Body as HttpBody, BoxFuture, StdError};
use tonic::server::{NamedService, UnaryService};

use super::proto::{SamplingStrategyParameters, SamplingStrategyResponse};
use crate::strategy::StrategyStore;

/// The full gRPC service name.
pub const SERVICE_NAME: &str = "jaeger.api_v2.SamplingManager";
/// The path of the one method.
pub const GET_SAMPLING_STRATEGY_PATH: &str = "/jaeger.api_v2.SamplingManager/GetSamplingStrategy";

/// The `SamplingManager` gRPC service over a strategy store; mount it with
/// `tonic::transport::Server::builder().add_service(..)`.
#[derive(Debug, Clone)]
pub struct SamplingManagerService {
    store: Arc<StrategyStore>,
}

impl SamplingManagerService {
    /// Answers from `store`.
    pub fn new(store: Arc<StrategyStore>) -> Self {
        Self { store }
    }
}

impl NamedService for SamplingManagerService {
    const NAME: &'static str = SERVICE_NAME;
}

/// The unary method.
struct GetSamplingStrategy(Arc<StrategyStore>);

impl UnaryService<SamplingStrategyParameters> for GetSamplingStrategy {
    type Response = SamplingStrategyResponse;
    type Future = Ready<Result<tonic::Response<SamplingStrategyResponse>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<SamplingStrategyParameters>) -> Self::Future {
        let state = self.0.current();
        let service = &request.get_ref().service_name;
        let response = SamplingStrategyResponse::from(state.resolved.for_service(service));
        ready(Ok(tonic::Response::new(response)))
    }
}

impl<B> tonic::codegen::Service<http::Request<B>> for SamplingManagerService
where
    B: HttpBody + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != GET_SAMPLING_STRATEGY_PATH {
            return Box::pin(async { Ok(unimplemented()) });
        }
        let method = GetSamplingStrategy(Arc::clone(&self.store));
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
            Ok(grpc.unary(method, request).await)
        })
    }
}

/// What tonic answers for an unknown method: `UNIMPLEMENTED`, trailers only.
fn unimplemented() -> http::Response<Body> {
    let mut response = http::Response::new(Body::default());
    let headers = response.headers_mut();
    headers.insert(
        tonic::Status::GRPC_STATUS,
        (tonic::Code::Unimplemented as i32).into(),
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        tonic::metadata::GRPC_CONTENT_TYPE,
    );
    response
}
