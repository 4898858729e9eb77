//! The small local endpoints: readiness (15021, `GET /healthz/ready`) and admin (15000,
//! loopback only, `GET /stats`).

use std::fmt::Write as _;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};

use crate::listener::{ProxyBody, full_body};
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

/// Admin: `GET /stats` lists every counter as `name: value` lines, like Envoy.
pub fn admin<B>(request: &Request<B>, stats: &Arc<Stats>) -> Response<ProxyBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/stats") => {
            let mut body = String::new();
            for (name, value) in stats.snapshot() {
                let _ = writeln!(body, "{name}: {value}");
            }
            text(StatusCode::OK, body)
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}
