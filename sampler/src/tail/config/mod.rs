//! The tail policy document as serde data: exactly the OpenTelemetry Collector
//! `tail_sampling` processor's block (`processor/tailsamplingprocessor/config.go` in
//! opentelemetry-collector-contrib), accepted as YAML or JSON. Unknown keys are rejected;
//! [`super::TailPolicySet::from_document`] validates the whole document into runtime types.

mod compound;
mod document;
mod duration;
mod int;
mod leaf;
mod policy;

pub use compound::{AndConfig, CompositeConfig, DropConfig, NotConfig, RateAllocationConfig};
pub use document::{
    DEFAULT_DECISION_WAIT, DEFAULT_NUM_TRACES, DecisionCacheConfig, TailPolicyDocument,
};
pub use leaf::{
    BooleanAttributeConfig, BytesLimitingConfig, LatencyConfig, NumericAttributeConfig,
    ProbabilisticConfig, RateLimitingConfig, SpanCountConfig, StatusCodeConfig,
    StringAttributeConfig, TraceStateConfig,
};
pub use policy::PolicyConfig;
