//! The trace buffer's sizing (config key `tail_buffer`), beside the policy document
//! (`tail_sampling`, the OpenTelemetry Collector's shape, which has no such keys).

use serde::Deserialize;

use super::processor::TailLimits;

/// How the tail-sampling buffer is split and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TailBufferConfig {
    /// Shards the buffer is split into by trace id, each owned by one task; absent: one per
    /// core. `num_traces`, `max_bytes` and the decision caches are split evenly between them.
    pub shards: Option<usize>,
    /// Most bytes (approximate OTLP size) buffered, all shards together.
    pub max_bytes: u64,
    /// A trace reaching this many spans is decided at once; later spans follow the decision.
    pub max_spans_per_trace: u64,
}

impl Default for TailBufferConfig {
    fn default() -> Self {
        let limits = TailLimits::default();
        Self {
            shards: None,
            max_bytes: limits.max_buffered_bytes,
            max_spans_per_trace: limits.max_spans_per_trace,
        }
    }
}

impl TailBufferConfig {
    /// The bounds, for all shards together.
    pub fn limits(&self) -> TailLimits {
        TailLimits {
            max_buffered_bytes: self.max_bytes,
            max_spans_per_trace: self.max_spans_per_trace,
        }
    }

    /// The shard count: as configured, else the cores this process may use (one when that
    /// cannot be read).
    pub fn shard_count(&self) -> usize {
        self.shards
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_default_to_the_cores_and_keys_are_checked() {
        let config: TailBufferConfig = serde_yaml_ng::from_str("{}").unwrap();
        assert_eq!(config, TailBufferConfig::default());
        assert!(config.shard_count() >= 1);
        let config: TailBufferConfig =
            serde_yaml_ng::from_str("{shards: 3, max_bytes: 1000, max_spans_per_trace: 5}")
                .unwrap();
        assert_eq!(config.shard_count(), 3);
        assert_eq!(
            config.limits(),
            TailLimits {
                max_buffered_bytes: 1000,
                max_spans_per_trace: 5
            }
        );
        let err = serde_yaml_ng::from_str::<TailBufferConfig>("{shard: 2}").unwrap_err();
        assert!(err.to_string().contains("shard"), "{err}");
    }
}
