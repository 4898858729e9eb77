//! Zipkin `POST /api/v2/spans`: v2 JSON or v2 protobuf, gzip accepted, `202 Accepted` on
//! success (what Zipkin answers and Envoy's and Istio's Zipkin tracers expect).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::{HeaderMap, StatusCode, header};

use super::{convert, json, proto};
use crate::pipeline::{Pipeline, Receiver};
use crate::receiver::http_body::{self, Format};
use crate::receiver::{ErrorBody, ReceiveError};
use crate::store::StoredSpan;

/// The path Zipkin reporters post v2 spans to.
pub const SPANS_PATH: &str = "/api/v2/spans";

#[derive(Debug, Clone)]
struct Shared {
    pipeline: Pipeline,
    max_request_bytes: usize,
}

/// The Zipkin receiver's routes, feeding `pipeline`; decoded bodies are limited to
/// `max_request_bytes`.
pub fn router(pipeline: Pipeline, max_request_bytes: usize) -> Router {
    Router::new()
        .route(SPANS_PATH, post(spans))
        .with_state(Shared {
            pipeline,
            max_request_bytes,
        })
}

async fn spans(State(shared): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    match handle(&shared, &headers, body).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(err) => {
            let counters = shared.pipeline.counters();
            counters.add_refused(Receiver::Zipkin, err.refusal());
            err.into_http_response(ErrorBody::Text)
        }
    }
}

async fn handle(shared: &Shared, headers: &HeaderMap, body: Body) -> Result<(), ReceiveError> {
    // Zipkin itself reads a body without Content-Type as JSON.
    let format = if headers.contains_key(header::CONTENT_TYPE) {
        Format::from_headers(headers)?
    } else {
        Format::Json
    };
    let bytes = http_body::read(headers, body, shared.max_request_bytes).await?;
    let spans = decode(format, &bytes)?;
    let count = spans.len();
    if count > 0 {
        shared.pipeline.submit(spans).await?;
        shared
            .pipeline
            .counters()
            .add_accepted(Receiver::Zipkin, count);
    }
    Ok(())
}

/// Parses a (decompressed) body of `format` and converts its spans to stored spans: the
/// whole receiver short of the HTTP edge and the pipeline. The first invalid span refuses
/// the request, naming it.
pub fn decode(format: Format, bytes: &[u8]) -> Result<Vec<StoredSpan>, ReceiveError> {
    let parsed = match format {
        Format::Json => json::parse(bytes)?,
        Format::Protobuf => proto::parse(bytes)?,
    };
    Ok(convert::to_stored(parsed))
}
