//! Receivers: the protocol edges where spans enter the collector.
//!
//! Each receiver parses its wire format into [`StoredSpan`](crate::store::StoredSpan)s and
//! submits them to the [`Pipeline`](crate::pipeline::Pipeline) without waiting; none touches
//! the store. [`ReceiveError`] is the one place refusals become HTTP responses and gRPC
//! statuses.

mod error;
mod grpc_edge;
mod grpc_zstd;
mod http_body;
pub mod otlp;
mod otlp_grpc;
mod otlp_http;
pub mod otlp_wire;
mod raw_grpc;
pub mod zipkin;

pub use error::{ErrorBody, RETRY_AFTER, ReceiveError};
pub use grpc_edge::OtlpGrpcService;
pub use http_body::{Format, gunzip, unzstd};
pub use otlp_grpc::OtlpGrpcReceiver;
pub use otlp_http::decode as decode_otlp_http;
pub use otlp_http::{TRACES_PATH, router as otlp_http_router};
