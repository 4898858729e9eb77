//! Tail sampling policies: the OpenTelemetry Collector `tail_sampling` processor's policy
//! language (opentelemetry-collector-contrib `processor/tailsamplingprocessor`), pure.
//!
//! The collector buffers a trace's spans, then asks [`TailPolicySet::decide`] about it
//! through the [`TraceView`]/[`SpanView`] traits it implements for its own span type, passing
//! the monotonic time in. The answer says whether to keep the trace, which policy decided
//! (`sampling.policy`), and the `th` the kept spans carry. A [`TailPolicyDocument`] (YAML or
//! JSON, the processor's block itself) becomes a set with [`TailPolicySet::from_document`].
//!
//! Nothing here does I/O or reads a clock; the only state is in the rate limits (`rate_limiting`,
//! `bytes_limiting`, `composite`), behind small locks, so `decide` takes `&self`.

mod attributes;
mod build;
mod composite;
pub mod config;
mod decision;
mod error;
mod facts;
mod limits;
mod policy;
mod probabilistic;
mod properties;
mod raw_state;
mod set;
mod view;

pub use config::{PolicyConfig, TailPolicyDocument};
pub use decision::{TailDecision, ThresholdChange};
pub use error::TailConfigError;
pub use set::{TailPolicySet, TailSettings};
pub use view::{AttrValue, SpanStatus, SpanView, TraceView};

#[cfg(test)]
mod tests;
