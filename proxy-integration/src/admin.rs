//! The small local endpoints: readiness (15021, `GET /healthz/ready`), Prometheus (15090,
//! `GET /stats/prometheus`) and admin (15000, loopback only, `GET /stats`).

use std::fmt::Write as _;
use std::sync::Arc;

use http::{HeaderValue, Method, Request, Response, StatusCode};

use crate::listener::{ProxyBody, full_body};
use crate::metrics::{self, RedMetrics};
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

/// Admin: `GET /stats` lists every counter as `name: value` lines, like Envoy.
pub fn admin<B>(request: &Request<B>, stats: &Arc<Stats>) -> Response<ProxyBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/stats") => {
            let mut body = String::new();
            for (name, _, value) in stats.snapshot() {
                let _ = writeln!(body, "meshtrace.{name}: {value}");
            }
            text(StatusCode::OK, body)
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}
