//! Time in the aggregator: slots of fixed length counted from the aggregator's start, and the
//! sliding windows (1, 5, 15 minutes) and cumulative view read over them.

use std::time::Duration;

use tokio::time::Instant;

/// A view over the aggregated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// The last minute.
    OneMinute,
    /// The last five minutes.
    FiveMinutes,
    /// The last fifteen minutes.
    FifteenMinutes,
    /// Everything since the aggregator started.
    All,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 4] = [
        Window::OneMinute,
        Window::FiveMinutes,
        Window::FifteenMinutes,
        Window::All,
    ];

    /// The longest sliding window: how much history each series keeps.
    pub const LONGEST: Duration = Duration::from_secs(15 * 60);

    /// Parses `1m`, `5m`, `15m` or `all`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.label() == text)
    }

    /// The query-string spelling.
    pub const fn label(self) -> &'static str {
        match self {
            Self::OneMinute => "1m",
            Self::FiveMinutes => "5m",
            Self::FifteenMinutes => "15m",
            Self::All => "all",
        }
    }

    /// The window's length; `None` for [`Window::All`].
    pub const fn length(self) -> Option<Duration> {
        match self {
            Self::OneMinute => Some(Duration::from_secs(60)),
            Self::FiveMinutes => Some(Duration::from_secs(300)),
            Self::FifteenMinutes => Some(Duration::from_secs(900)),
            Self::All => None,
        }
    }
}

/// Slot arithmetic for one aggregator.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    slot: Duration,
}

impl Clock {
    /// Slots of `slot` (at least 1 ms) counted from `start`.
    pub fn new(start: Instant, slot: Duration) -> Self {
        Self {
            start,
            slot: slot.max(Duration::from_millis(1)),
        }
    }

    /// The slot `now` falls in (0 before the start).
    pub fn slot_of(&self, now: Instant) -> u64 {
        // Milliseconds are precise enough for slots of seconds and avoid a u128 division.
        let elapsed = now.saturating_duration_since(self.start);
        let slot_ms = u64::try_from(self.slot.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let elapsed_ms =
            elapsed.as_secs().saturating_mul(1000) + u64::from(elapsed.subsec_millis());
        elapsed_ms / slot_ms
    }

    /// How many slots a window spans (the current, partly elapsed slot included); `None` for
    /// the cumulative view.
    pub fn slots_in(&self, window: Window) -> Option<u64> {
        let length = window.length()?;
        let slots = length.as_nanos().div_ceil(self.slot.as_nanos());
        Some(u64::try_from(slots).unwrap_or(u64::MAX).max(1))
    }

    /// How many slots of history the longest window needs.
    pub fn history_slots(&self) -> u64 {
        self.slots_in(Window::FifteenMinutes).unwrap_or(1)
    }

    /// The first slot a window read at `now` includes.
    pub fn first_slot(&self, window: Window, now: Instant) -> u64 {
        match self.slots_in(window) {
            Some(slots) => (self.slot_of(now) + 1).saturating_sub(slots),
            None => 0,
        }
    }

    /// The time a window read at `now` actually covers: its full slots before the current one
    /// plus the elapsed part of the current one, never more than the time since the start.
    /// Rates divide by this, so a young aggregator or a partly elapsed slot is not diluted.
    pub fn covered(&self, window: Window, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.start);
        let Some(slots) = self.slots_in(window) else {
            return elapsed;
        };
        let slot_nanos = self.slot.as_nanos();
        let into_current = Duration::from_nanos(
            u64::try_from(elapsed.as_nanos() % slot_nanos).unwrap_or(u64::MAX),
        );
        let full = self
            .slot
            .saturating_mul(u32::try_from(slots.saturating_sub(1)).unwrap_or(u32::MAX));
        (full + into_current).min(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_span_slots() {
        let start = Instant::now();
        let clock = Clock::new(start, Duration::from_secs(10));
        assert_eq!(Window::parse("5m"), Some(Window::FiveMinutes));
        assert_eq!(Window::parse("2m"), None);
        assert_eq!(clock.slots_in(Window::OneMinute), Some(6));
        assert_eq!(clock.history_slots(), 90);
        let now = start + Duration::from_secs(125);
        assert_eq!(clock.slot_of(now), 12);
        assert_eq!(clock.first_slot(Window::OneMinute, now), 7);
        assert_eq!(
            clock.covered(Window::OneMinute, now),
            Duration::from_secs(55)
        );
        assert_eq!(
            clock.covered(Window::FiveMinutes, now),
            Duration::from_secs(125)
        );
        assert_eq!(clock.covered(Window::All, now), Duration::from_secs(125));
    }
}
