//! OTLP/HTTP `POST /v1/traces`: protobuf or JSON (the OTLP/JSON mapping: hex ids, int64 as
//! strings), gzip accepted, answered in the request's own content type.
//!
//! Decoding is the only part that differs from OTLP/gRPC: protobuf bodies take
//! [`ingest_protobuf`] as gRPC requests do (forwarded undecoded in pass-through), JSON ones
//! are decoded and take [`ingest`].

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::{HeaderMap, StatusCode, header};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use serde::Serialize;

use super::error::{ErrorBody, ReceiveError};
use super::http_body::{self, Format};
use super::otlp::{ingest, ingest_protobuf};
use crate::pipeline::{Pipeline, Receiver};

/// The path OTLP/HTTP exporters post traces to.
pub const TRACES_PATH: &str = "/v1/traces";

#[derive(Debug, Clone)]
struct Shared {
    pipeline: Pipeline,
    max_request_bytes: usize,
}

/// The OTLP/HTTP receiver's routes, feeding `pipeline`; decoded bodies are limited to
/// `max_request_bytes`.
pub fn router(pipeline: Pipeline, max_request_bytes: usize) -> Router {
    Router::new()
        .route(TRACES_PATH, post(export))
        .with_state(Shared {
            pipeline,
            max_request_bytes,
        })
}

async fn export(State(shared): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let result = match Format::from_headers(&headers) {
        Ok(format) => handle(&shared, format, &headers, body)
            .await
            .map(|response| encode_response(format, &response))
            .map_err(|err| (err, error_body(format))),
        Err(err) => Err((err, ErrorBody::Text)),
    };
    result.unwrap_or_else(|(err, body)| {
        let counters = shared.pipeline.counters();
        counters.add_refused(Receiver::OtlpHttp, err.refusal());
        err.into_http_response(body)
    })
}

async fn handle(
    shared: &Shared,
    format: Format,
    headers: &HeaderMap,
    body: Body,
) -> Result<ExportTraceServiceResponse, ReceiveError> {
    let bytes = http_body::read(headers, body, shared.max_request_bytes).await?;
    match format {
        Format::Protobuf => ingest_protobuf(&shared.pipeline, Receiver::OtlpHttp, bytes).await,
        Format::Json => {
            let request = decode(format, &bytes)?;
            ingest(&shared.pipeline, Receiver::OtlpHttp, request).await
        }
    }
}

/// Decodes an export request in `format`.
pub fn decode(format: Format, bytes: &[u8]) -> Result<ExportTraceServiceRequest, ReceiveError> {
    match format {
        Format::Protobuf => {
            ExportTraceServiceRequest::decode(bytes).map_err(|err| ReceiveError::Malformed {
                format: "OTLP/protobuf",
                reason: err.to_string(),
            })
        }
        Format::Json => serde_json::from_slice(bytes).map_err(|err| ReceiveError::Malformed {
            format: "OTLP/JSON",
            reason: err.to_string(),
        }),
    }
}

fn error_body(format: Format) -> ErrorBody {
    match format {
        Format::Protobuf => ErrorBody::Protobuf,
        Format::Json => ErrorBody::Json,
    }
}

/// `ExportTraceServiceResponse` in OTLP/JSON: `rejectedSpans` is an int64, so a string, and
/// an absent `partialSuccess` is left out rather than written as `null`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonResponse<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_success: Option<JsonPartialSuccess<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPartialSuccess<'a> {
    rejected_spans: String,
    error_message: &'a str,
}

fn encode_response(format: Format, response: &ExportTraceServiceResponse) -> Response {
    let body = match format {
        Format::Protobuf => response.encode_to_vec(),
        Format::Json => {
            let json = JsonResponse {
                partial_success: response
                    .partial_success
                    .as_ref()
                    .map(|p| JsonPartialSuccess {
                        rejected_spans: p.rejected_spans.to_string(),
                        error_message: &p.error_message,
                    }),
            };
            // Serializing a struct of strings into a Vec cannot fail; fall back to `{}`
            // rather than panic all the same.
            serde_json::to_vec(&json).unwrap_or_else(|_| b"{}".to_vec())
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
