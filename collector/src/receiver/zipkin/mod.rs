//! The Zipkin receiver: `POST /api/v2/spans` in v2 JSON and v2 protobuf, as Envoy's and
//! Istio's Zipkin tracers send.
//!
//! `json` and `proto` parse their wire format into one typed [`ZipkinSpan`]; `convert` maps
//! it to stored spans the way the OpenTelemetry Collector's Zipkin receiver does; `handler`
//! is the HTTP edge.

mod convert;
mod handler;
mod json;
pub mod proto;
mod span;

#[cfg(test)]
mod tests;

pub use convert::names;
pub use handler::{SPANS_PATH, decode, router};
pub use span::{Annotation, Endpoint, FieldError, Kind, SpanError, ZipkinSpan};
