//! The collector's metrics: one module naming every metric (`names`), the OpenMetrics
//! exposition of the aggregator and the pipeline counters (`exposition`), and the HTTP
//! handlers for `/metrics` and the latency JSON API (`handlers`).

mod exposition;
mod handlers;
pub mod names;
mod sources;

#[cfg(test)]
mod tests;

pub use exposition::{BUCKETS, CONTENT_TYPE, escape, render};
pub use handlers::{
    LatencyParams, LatencyResponse, MetricsApiError, MetricsState, latency, metrics, router,
};
pub use sources::{
    PipelineSnapshot, PipelineSource, StoreGauges, TailGauges, resident_memory_bytes,
};
