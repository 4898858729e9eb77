//! The memory limiter, like the OpenTelemetry Collector's `memory_limiter`: the process's
//! resident memory is checked at an interval, and while it is above the soft limit
//! (`limit_mib - spike_limit_mib`) receivers refuse new data with UNAVAILABLE / 429 and
//! `Retry-After`, so senders back off and retry instead of the collector running out of
//! memory. Refusals are counted (`reason="memory_limit"`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Config key `memory_limiter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryLimitConfig {
    /// Resident memory the collector must stay under, MiB; 0 turns the limiter off (the
    /// default).
    pub limit_mib: u64,
    /// Headroom for a burst between two checks, MiB; refusals start at
    /// `limit_mib - spike_limit_mib`. 0 means 20% of the limit.
    pub spike_limit_mib: u64,
    /// Milliseconds between checks.
    pub check_interval_ms: u64,
}

impl Default for MemoryLimitConfig {
    fn default() -> Self {
        Self {
            limit_mib: 0,
            spike_limit_mib: 0,
            check_interval_ms: 1000,
        }
    }
}

impl MemoryLimitConfig {
    /// The soft limit in bytes; `None` when the limiter is off.
    pub fn soft_limit_bytes(&self) -> Option<u64> {
        if self.limit_mib == 0 {
            return None;
        }
        let spike = if self.spike_limit_mib == 0 {
            self.limit_mib / 5
        } else {
            self.spike_limit_mib
        };
        Some(self.limit_mib.saturating_sub(spike).max(1) * 1024 * 1024)
    }
}

/// Whether the collector is over its soft memory limit, shared by every receiver.
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    over: AtomicBool,
}

impl MemoryLimiter {
    /// Whether new data must be refused now.
    pub fn is_over(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }

    /// Records one reading against `soft_limit` bytes.
    pub fn check(&self, resident: Option<u64>, soft_limit: u64) {
        let over = resident.is_some_and(|r| r >= soft_limit);
        if self.over.swap(over, Ordering::Relaxed) != over {
            tracing::warn!(resident_bytes = ?resident, soft_limit, over, "memory limiter changed state");
        }
    }
}

/// Starts the checks (none when the limiter is off), reading resident memory with `read`.
pub fn spawn(
    config: MemoryLimitConfig,
    limiter: Arc<MemoryLimiter>,
    read: fn() -> Option<u64>,
    mut stop: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let soft = config.soft_limit_bytes()?;
    let interval = Duration::from_millis(config.check_interval_ms.max(10));
    // The first reading happens now, so the limit holds from the first request on.
    limiter.check(read(), soft);
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => limiter.check(read(), soft),
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_limit_and_state() {
        assert_eq!(MemoryLimitConfig::default().soft_limit_bytes(), None);
        let config = MemoryLimitConfig {
            limit_mib: 100,
            ..MemoryLimitConfig::default()
        };
        assert_eq!(config.soft_limit_bytes(), Some(80 * 1024 * 1024));
        let limiter = MemoryLimiter::default();
        limiter.check(Some(81 * 1024 * 1024), 80 * 1024 * 1024);
        assert!(limiter.is_over());
        limiter.check(Some(10), 80 * 1024 * 1024);
        assert!(!limiter.is_over());
        limiter.check(None, 80 * 1024 * 1024);
        assert!(!limiter.is_over(), "no reading is not a reason to refuse");
    }
}
