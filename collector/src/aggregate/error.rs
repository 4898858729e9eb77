//! What building or reading the aggregation can fail with.

use hdrhistogram::CreationError;

use super::config::AggregateConfigError;

/// Why an aggregator could not be built or a summary computed.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// A setting is out of range.
    #[error("invalid aggregation setting: {0}")]
    Config(#[from] AggregateConfigError),
    /// The HDR histogram could not be created (the fixed bounds are valid, so this is a bug).
    #[error("cannot create the HDR histogram: {0}")]
    Histogram(#[from] CreationError),
}
