//! Receivers: the protocol edges where spans enter the collector.
//!
//! Each receiver parses its wire format into [`StoredSpan`](crate::store::StoredSpan)s and
//! submits them to the [`Pipeline`](crate::pipeline::Pipeline) without waiting; none touches
//! the store.

pub mod otlp;
mod otlp_grpc;

pub use otlp_grpc::OtlpGrpcReceiver;
