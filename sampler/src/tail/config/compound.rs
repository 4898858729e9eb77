//! The blocks of the policies built from other policies (`and`, `not`, `drop`, `composite`),
//! shaped as in opentelemetry-collector-contrib `processor/tailsamplingprocessor/config.go`:
//! `and_sub_policy` and `drop_sub_policy` are lists, `not_sub_policy` is one policy.

use serde::{Deserialize, Serialize};

use super::{PolicyConfig, int};

/// `and`: samples when every sub-policy samples.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AndConfig {
    /// The sub-policies, evaluated in order until one does not sample.
    pub and_sub_policy: Vec<PolicyConfig>,
}

/// `not`: samples when its sub-policy does not, and the other way round.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotConfig {
    /// The one negated policy.
    pub not_sub_policy: Box<PolicyConfig>,
}

/// `drop`: drops the trace when every sub-policy samples it, whatever other policies say.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropConfig {
    /// The sub-policies, all of which must match for the trace to be dropped.
    pub drop_sub_policy: Vec<PolicyConfig>,
}

/// `composite`: the first sub-policy (in `policy_order`) that samples claims the trace, which
/// is kept if that sub-policy's share of `max_total_spans_per_second` has room this second.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositeConfig {
    /// The budget, in spans per second, shared by all sub-policies.
    #[serde(deserialize_with = "int::required")]
    pub max_total_spans_per_second: u64,
    /// Sub-policy names in evaluation order; sub-policies not listed follow in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_order: Vec<String>,
    /// The sub-policies (any type but `composite` and `drop`).
    pub composite_sub_policy: Vec<PolicyConfig>,
    /// Each sub-policy's reserved share of the budget.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate_allocation: Vec<RateAllocationConfig>,
}

/// One entry of `rate_allocation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateAllocationConfig {
    /// The sub-policy's name.
    pub policy: String,
    /// Its share in percent of `max_total_spans_per_second`; 0 = an equal share (the total
    /// divided by the number of sub-policies), as the OpenTelemetry Collector does.
    #[serde(deserialize_with = "int::required")]
    pub percent: u32,
}
