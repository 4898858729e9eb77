//! The blocks of the policies that test one property of a trace, field for field as
//! `processor/tailsamplingprocessor/config.go` in opentelemetry-collector-contrib.

use serde::{Deserialize, Serialize};

use super::int;

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `latency`: the trace's duration, from its earliest span start to its latest span end.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyConfig {
    /// Lower bound in milliseconds: inclusive alone, exclusive with an upper bound.
    #[serde(default, deserialize_with = "int::required")]
    pub threshold_ms: u64,
    /// Upper bound in milliseconds, inclusive; 0 = none.
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "int::required"
    )]
    pub upper_threshold_ms: u64,
}

/// `numeric_attribute`: a resource or span attribute within `[min_value, max_value]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericAttributeConfig {
    /// The attribute key.
    pub key: String,
    /// Smallest matching value (inclusive); absent = no lower bound.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int::optional"
    )]
    pub min_value: Option<i64>,
    /// Largest matching value (inclusive); absent = no upper bound.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int::optional"
    )]
    pub max_value: Option<i64>,
    /// Sample traces where no span or resource has the value in range.
    #[serde(default, skip_serializing_if = "is_false")]
    pub invert_match: bool,
}

/// `probabilistic`: a fraction of traces, by the consistent rule `R >= T`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbabilisticConfig {
    /// Accepted for compatibility and ignored: the decision uses the trace's randomness, not
    /// a salted hash of its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_salt: Option<String>,
    /// Percentage of traces kept, `0..=100` (above 100 keeps all).
    #[serde(default)]
    pub sampling_percentage: f64,
}

/// `status_code`: any span with one of these status codes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCodeConfig {
    /// Any of `OK`, `ERROR`, `UNSET`.
    pub status_codes: Vec<String>,
}

/// `string_attribute`: a resource or span string attribute equal to (or matching) a value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringAttributeConfig {
    /// The attribute key.
    pub key: String,
    /// Exact values, or regular expressions with `enabled_regex_matching`.
    pub values: Vec<String>,
    /// Treat `values` as regular expressions (unanchored, as Go's `MatchString`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled_regex_matching: bool,
    /// Accepted for compatibility; regexes are compiled once and need no result cache.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int::optional"
    )]
    pub cache_max_size: Option<u64>,
    /// Sample traces where no span or resource has a matching value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub invert_match: bool,
}

/// `boolean_attribute`: a resource or span boolean attribute equal to `value`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BooleanAttributeConfig {
    /// The attribute key.
    pub key: String,
    /// The value to match.
    pub value: bool,
    /// Sample traces where no span or resource has the value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub invert_match: bool,
}

/// `trace_state`: a span whose `tracestate` member `key` has one of `values`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceStateConfig {
    /// The `tracestate` member key, e.g. `ot`.
    pub key: String,
    /// Member values to match. For key `ot`, a value `sub:val` (such as `th:0`) also matches
    /// one `;`-separated sub-key of the member (meshtrace extension).
    pub values: Vec<String>,
}

/// `rate_limiting`: a token bucket of spans.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitingConfig {
    /// Spans kept per second on average.
    #[serde(deserialize_with = "int::required")]
    pub spans_per_second: u64,
    /// Bucket size in spans (default and 0: twice `spans_per_second`). `burst` is accepted
    /// as another name for it.
    #[serde(
        default,
        alias = "burst",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int::optional"
    )]
    pub burst_capacity: Option<u64>,
}

/// `bytes_limiting`: a token bucket of bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytesLimitingConfig {
    /// Bytes kept per second on average.
    #[serde(deserialize_with = "int::required")]
    pub bytes_per_second: u64,
    /// Bucket size in bytes (default and 0: twice `bytes_per_second`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int::optional"
    )]
    pub burst_capacity: Option<u64>,
}

/// `span_count`: traces with a number of spans in `[min_spans, max_spans]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanCountConfig {
    /// Fewest spans (inclusive).
    #[serde(default, deserialize_with = "int::required")]
    pub min_spans: u64,
    /// Most spans (inclusive); 0 = no upper bound.
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "int::required"
    )]
    pub max_spans: u64,
}
