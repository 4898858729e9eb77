//! RED metrics of every request the sidecar proxies, sampled or not: rates and errors as
//! counters, latency in HDR histograms, exposed in the Prometheus text format on 15090
//! `/stats/prometheus`.

mod exposition;
mod red;

pub use exposition::{CONTENT_TYPE, encode};
pub use red::{RedMetrics, StatusClass};
