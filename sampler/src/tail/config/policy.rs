//! One entry of `policies` (and of every sub-policy list): `{name, type, <type>: {...}}`.
//!
//! `type` stays text here so that an unknown type is reported with the policy's name by
//! validation, instead of as a bare serde "unknown variant"; each type's block is an optional
//! field, and validation requires exactly the one that matches `type`.

use serde::{Deserialize, Serialize};

use super::{
    AndConfig, BooleanAttributeConfig, BytesLimitingConfig, CompositeConfig, DropConfig,
    LatencyConfig, NotConfig, NumericAttributeConfig, ProbabilisticConfig, RateLimitingConfig,
    SpanCountConfig, StatusCodeConfig, StringAttributeConfig, TraceStateConfig,
};

/// One policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The policy's name: the `sampling.policy` attribute of the traces it keeps. Required at
    /// the top level and in `composite_sub_policy`.
    #[serde(default)]
    pub name: String,
    /// The policy type, e.g. `latency`; the block of the same name configures it.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `latency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyConfig>,
    /// For `numeric_attribute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_attribute: Option<NumericAttributeConfig>,
    /// For `probabilistic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilistic: Option<ProbabilisticConfig>,
    /// For `status_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<StatusCodeConfig>,
    /// For `string_attribute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_attribute: Option<StringAttributeConfig>,
    /// For `boolean_attribute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean_attribute: Option<BooleanAttributeConfig>,
    /// For `trace_state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_state: Option<TraceStateConfig>,
    /// For `rate_limiting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limiting: Option<RateLimitingConfig>,
    /// For `bytes_limiting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_limiting: Option<BytesLimitingConfig>,
    /// For `span_count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_count: Option<SpanCountConfig>,
    /// For `and`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub and: Option<AndConfig>,
    /// For `not`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<NotConfig>,
    /// For `drop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<DropConfig>,
    /// For `composite`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composite: Option<CompositeConfig>,
}

impl PolicyConfig {
    /// A policy of type `kind` named `name` with no block yet (fill the block's field).
    pub fn new(name: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: kind.into(),
            ..Self::default()
        }
    }

    /// The keys of the blocks present, in declaration order.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &'static str> + '_ {
        [
            ("latency", self.latency.is_some()),
            ("numeric_attribute", self.numeric_attribute.is_some()),
            ("probabilistic", self.probabilistic.is_some()),
            ("status_code", self.status_code.is_some()),
            ("string_attribute", self.string_attribute.is_some()),
            ("boolean_attribute", self.boolean_attribute.is_some()),
            ("trace_state", self.trace_state.is_some()),
            ("rate_limiting", self.rate_limiting.is_some()),
            ("bytes_limiting", self.bytes_limiting.is_some()),
            ("span_count", self.span_count.is_some()),
            ("and", self.and.is_some()),
            ("not", self.not.is_some()),
            ("drop", self.drop.is_some()),
            ("composite", self.composite.is_some()),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(key, _)| key)
    }
}
