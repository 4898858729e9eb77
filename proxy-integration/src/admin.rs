//! The small local endpoints: readiness (15021, `GET /healthz/ready`), Prometheus (15090,
//! `GET /stats/prometheus`) and admin (15000, loopback only: `GET /stats`, `GET`/`PUT
//! /sampling`).

use std::fmt::Write as _;
use std::sync::Arc;

use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use sampler::strategy::SamplingStrategyResponse;

use crate::config::ConfigView;
use crate::listener::{ProxyBody, full_body};
use crate::metrics::{self, RedMetrics};
use crate::sampling::{SamplingControl, SamplingView};
use crate::stats::Stats;

fn text(status: StatusCode, body: String) -> Response<ProxyBody> {
    let mut response = Response::new(full_body(body));
    *response.status_mut() = status;
    response
}

/// Readiness: the sidecar answers once its listeners are bound.
pub fn health<B>(request: &Request<B>) -> Response<ProxyBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/healthz/ready") => text(StatusCode::OK, "ready\n".into()),
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}

/// Prometheus: `GET /stats/prometheus`, every request's RED metrics and the pipeline counters.
pub fn prometheus<B>(
    request: &Request<B>,
    red: &Arc<RedMetrics>,
    stats: &Arc<Stats>,
) -> Response<ProxyBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/stats/prometheus") => match metrics::encode(red, stats) {
            Ok(body) => {
                let mut response = text(StatusCode::OK, body);
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static(metrics::CONTENT_TYPE),
                );
                response
            }
            Err(_) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics encoding failed\n".into(),
            ),
        },
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}

/// What the admin endpoints read and change.
#[derive(Debug)]
pub struct AdminState {
    /// The sidecar's counters.
    pub stats: Arc<Stats>,
    /// The head-sampling strategy in force.
    pub sampling: Arc<SamplingControl>,
    /// The configuration the sidecar started with.
    pub config: ConfigView,
}

/// Largest `PUT /sampling` body: a strategy with many operations is a few KiB.
const MAX_ADMIN_BODY: usize = 64 * 1024;

fn json(status: StatusCode, body: String) -> Response<ProxyBody> {
    let mut response = text(status, body);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Admin (loopback only): `GET /config` shows the configuration in force as JSON; `GET /stats` lists every counter as `meshtrace.<name>: value` lines,
/// like Envoy; `GET /sampling` shows the head-sampling strategy in force (Jaeger's format, with
/// its source and version); `PUT /sampling` sets a local override (a Jaeger strategy,
/// validated whole first) that beats the collector's; `DELETE /sampling` removes it.
pub async fn admin(request: Request<Incoming>, state: &AdminState) -> Response<ProxyBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/config") => match serde_json::to_string_pretty(&state.config) {
            Ok(body) => json(StatusCode::OK, body + "\n"),
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        },
        (&Method::GET, "/stats") => {
            let mut body = String::new();
            for (name, _, value) in state.stats.snapshot() {
                let _ = writeln!(body, "meshtrace.{name}: {value}");
            }
            text(StatusCode::OK, body)
        }
        (&Method::GET, "/sampling") => {
            let current = state.sampling.current();
            let view = SamplingView {
                source: current.source,
                version: current.version,
                strategy: &current.strategy,
            };
            match serde_json::to_string_pretty(&view) {
                Ok(body) => json(StatusCode::OK, body + "\n"),
                Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
            }
        }
        (&Method::PUT, "/sampling") => put_sampling(request, state).await,
        (&Method::DELETE, "/sampling") => match state.sampling.clear_local() {
            Ok(version) => json(StatusCode::OK, format!("{{\"version\":{version}}}\n")),
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        },
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}

async fn put_sampling(request: Request<Incoming>, state: &AdminState) -> Response<ProxyBody> {
    let body = match Limited::new(request.into_body(), MAX_ADMIN_BODY)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("cannot read the body: {e}\n"),
            );
        }
    };
    let strategy: SamplingStrategyResponse = match serde_json::from_slice(&body) {
        Ok(strategy) => strategy,
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("not a Jaeger sampling strategy: {e}\n"),
            );
        }
    };
    match state.sampling.set_local(strategy) {
        Ok(version) => json(StatusCode::OK, format!("{{\"version\":{version}}}\n")),
        Err(e) => text(StatusCode::BAD_REQUEST, format!("invalid strategy: {e}\n")),
    }
}
