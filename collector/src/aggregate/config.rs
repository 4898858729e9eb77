//! Settings of the aggregation: series cap, slot length, sharding and service-graph pairing.

use std::time::Duration;

use serde::Deserialize;

use super::window::Window;

/// Aggregation settings, as written in the collector configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AggregateConfig {
    /// Most latency series kept (service x operation x span kind x status class). Spans of a
    /// new series beyond the cap go to the overflow series (`__overflow__`) and are counted.
    pub max_series: usize,
    /// Length of one time slot, in seconds; windows slide in steps of one slot. Must divide
    /// 60 so that every window is a whole number of slots.
    pub slot_seconds: u64,
    /// Independent locks the series are spread over (by key hash).
    pub shards: usize,
    /// How long a client or server span waits for its partner, in seconds, before the
    /// service graph gives up on it.
    pub pairing_window_seconds: u64,
    /// Most spans waiting for their partner; the oldest is dropped (and counted) past this.
    pub max_pending_spans: usize,
    /// Most service-graph edges kept; further pairs go to the overflow edge.
    pub max_edges: usize,
}

impl Default for AggregateConfig {
    fn default() -> Self {
        Self {
            max_series: 10_000,
            slot_seconds: 10,
            shards: 16,
            pairing_window_seconds: 10,
            max_pending_spans: 50_000,
            max_edges: 1_000,
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateConfigError {
    /// `slot_seconds` is zero or does not divide 60.
    #[error(
        "slot_seconds must be a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60), got {0}"
    )]
    SlotSeconds(u64),
    /// A count that must be positive is zero.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

impl AggregateConfig {
    /// Checks every setting, naming the first bad one.
    pub fn validate(&self) -> Result<(), AggregateConfigError> {
        if self.slot_seconds == 0 || 60 % self.slot_seconds != 0 {
            return Err(AggregateConfigError::SlotSeconds(self.slot_seconds));
        }
        let positive = [
            ("max_series", self.max_series),
            ("shards", self.shards),
            (
                "pairing_window_seconds",
                usize::from(self.pairing_window_seconds > 0),
            ),
            ("max_pending_spans", self.max_pending_spans),
            ("max_edges", self.max_edges),
        ];
        match positive.into_iter().find(|(_, v)| *v == 0) {
            Some((name, _)) => Err(AggregateConfigError::Zero(name)),
            None => Ok(()),
        }
    }

    /// The slot length.
    pub fn slot(&self) -> Duration {
        Duration::from_secs(self.slot_seconds)
    }

    /// The pairing window.
    pub fn pairing_window(&self) -> Duration {
        Duration::from_secs(self.pairing_window_seconds)
    }

    /// Slots of history each series keeps (the longest window).
    pub fn history_slots(&self) -> u64 {
        Window::LONGEST.as_secs().div_ceil(self.slot_seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(AggregateConfig::default().validate(), Ok(()));
        let bad = AggregateConfig {
            slot_seconds: 7,
            ..AggregateConfig::default()
        };
        assert_eq!(bad.validate(), Err(AggregateConfigError::SlotSeconds(7)));
        let zero = AggregateConfig {
            shards: 0,
            ..AggregateConfig::default()
        };
        assert_eq!(zero.validate(), Err(AggregateConfigError::Zero("shards")));
        let parsed: Result<AggregateConfig, _> = serde_json::from_str(r#"{"max_series": 5}"#);
        assert_eq!(parsed.map(|c| c.max_series).ok(), Some(5));
        let unknown: Result<AggregateConfig, _> = serde_json::from_str(r#"{"max_serie": 5}"#);
        assert!(unknown.unwrap_err().to_string().contains("max_serie"));
    }
}
