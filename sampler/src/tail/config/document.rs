//! The top of the tail policy document: buffering settings, the decision cache and the policy
//! list, with the OpenTelemetry Collector's defaults
//! (`processor/tailsamplingprocessor/factory.go`: `decision_wait` 30s, `num_traces` 50000).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{PolicyConfig, duration, int};

/// `decision_wait` when the document does not set it.
pub const DEFAULT_DECISION_WAIT: Duration = Duration::from_secs(30);
/// `num_traces` when the document does not set it.
pub const DEFAULT_NUM_TRACES: u64 = 50_000;

fn default_decision_wait() -> Duration {
    DEFAULT_DECISION_WAIT
}

fn default_num_traces() -> u64 {
    DEFAULT_NUM_TRACES
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The `tail_sampling` block: the `--tail-policies` file, the config file's tail-sampling
/// section and the body of `PUT /api/v1/sampling/tail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailPolicyDocument {
    /// How long after a trace's first span to wait before deciding it, as text (`10s`).
    #[serde(default = "default_decision_wait", with = "duration::required")]
    pub decision_wait: Duration,
    /// How many undecided traces may be buffered at once.
    #[serde(default = "default_num_traces", deserialize_with = "int::required")]
    pub num_traces: u64,
    /// Expected new traces per second, a sizing hint for the buffer (accepted, optional).
    #[serde(default, deserialize_with = "int::required")]
    pub expected_new_traces_per_sec: u64,
    /// Sizes of the caches remembering decisions for late spans.
    #[serde(default)]
    pub decision_cache: DecisionCacheConfig,
    /// Stop evaluating at the first policy that samples, so later (stateful) policies such as
    /// rate limits are not charged and later inverted matches cannot veto. Default `false`:
    /// every policy sees every trace not dropped first, as in the OpenTelemetry Collector.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sample_on_first_match: bool,
    /// Decide this long after the root span arrives, when earlier than `decision_wait`.
    #[serde(
        default,
        with = "duration::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub decision_wait_after_root_received: Option<Duration>,
    /// Largest trace, in bytes, the buffer holds; spans beyond it are not buffered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int::optional"
    )]
    pub maximum_trace_size_bytes: Option<u64>,
    /// The policies, in evaluation order. None at all keeps every trace.
    #[serde(default)]
    pub policies: Vec<PolicyConfig>,
}

impl Default for TailPolicyDocument {
    /// The OpenTelemetry Collector's defaults and no policies (keep everything).
    fn default() -> Self {
        Self {
            decision_wait: DEFAULT_DECISION_WAIT,
            num_traces: DEFAULT_NUM_TRACES,
            expected_new_traces_per_sec: 0,
            decision_cache: DecisionCacheConfig::default(),
            sample_on_first_match: false,
            decision_wait_after_root_received: None,
            maximum_trace_size_bytes: None,
            policies: Vec::new(),
        }
    }
}

/// Kept trace ids remembered by default (about 6 MB).
pub const DEFAULT_SAMPLED_CACHE_SIZE: usize = 100_000;
/// Dropped trace ids remembered by default, as 8-byte fingerprints (about 6 MB).
pub const DEFAULT_NON_SAMPLED_CACHE_SIZE: usize = 250_000;

fn default_sampled_cache_size() -> usize {
    DEFAULT_SAMPLED_CACHE_SIZE
}

fn default_non_sampled_cache_size() -> usize {
    DEFAULT_NON_SAMPLED_CACHE_SIZE
}

/// `decision_cache`: how many decided trace ids are remembered so late spans follow the
/// decision (0 = no cache). Unlike the OpenTelemetry Collector, whose default is 0 (late
/// spans start a new trace and may be decided differently), both caches are on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionCacheConfig {
    /// Trace ids of kept traces remembered.
    #[serde(
        default = "default_sampled_cache_size",
        deserialize_with = "int::required"
    )]
    pub sampled_cache_size: usize,
    /// Trace ids of dropped traces remembered.
    #[serde(
        default = "default_non_sampled_cache_size",
        deserialize_with = "int::required"
    )]
    pub non_sampled_cache_size: usize,
}

impl Default for DecisionCacheConfig {
    fn default() -> Self {
        Self {
            sampled_cache_size: DEFAULT_SAMPLED_CACHE_SIZE,
            non_sampled_cache_size: DEFAULT_NON_SAMPLED_CACHE_SIZE,
        }
    }
}
