//! Retention bounds of the store beyond the trace and span counts of
//! [`crate::config::StoreConfig`]: approximate bytes and age.

use std::time::Duration;

use serde::Deserialize;

/// Default approximate bytes of span data kept (256 MiB).
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;
/// Default age after which a trace is dropped (24 hours).
pub const DEFAULT_MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// How much and how long the store keeps, as serde data (config key `store.retention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Approximate bytes of span data kept (see [`super::approximate_size`]); the oldest
    /// traces are evicted to stay under it. Zero is treated as one.
    pub max_bytes: usize,
    /// Seconds a trace is kept after its first span arrived; older traces are dropped on
    /// the next insert or read. Zero is treated as one.
    pub max_age_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            max_age_secs: DEFAULT_MAX_AGE_SECS,
        }
    }
}

impl RetentionConfig {
    /// The age bound as a duration, at least one second.
    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.max_age_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_partial_documents() {
        let config: RetentionConfig = serde_json::from_str(r#"{"max_bytes":1024}"#).unwrap();
        assert_eq!(config.max_bytes, 1024);
        assert_eq!(config.max_age(), Duration::from_secs(86_400));
        let err = serde_json::from_str::<RetentionConfig>(r#"{"max_age":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_age"), "{err}");
    }
}
