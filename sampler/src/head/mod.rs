//! Head samplers: the decision a sidecar makes when a request enters the mesh, before anyone
//! knows how it ends. Decisions are pure functions of their input (time is part of the
//! input); only the rate limiter keeps state, in an atomic.

mod decision;
mod envoy_request_id;
mod guaranteed;
mod input;
mod probabilistic;
mod rate_limited;
mod root;
mod rules;
mod sampler;

pub use decision::{HeadDecision, SamplerKind};
pub use envoy_request_id::EnvoyRequestId;
pub use guaranteed::GuaranteedThroughput;
pub use input::{RequestInfo, SamplingInput};
pub use probabilistic::{InvalidProbability, Probabilistic};
pub use rate_limited::{InvalidRate, RateLimited};
pub use root::RootSampler;
pub use rules::{PathMatch, PerOperation, RouteMatch, RouteRule};
pub use sampler::{Force, HeadSampler};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_composed;
