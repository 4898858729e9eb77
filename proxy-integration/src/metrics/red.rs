//! Request counts and latency per direction and status class. The set of series is fixed
//! (2 directions x 5 classes), so recording is an index and a short uncontended lock: no
//! allocation and no map lookup on the request path.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::{CreationError, Histogram};

use crate::trace::Direction;

/// Latency range kept exactly (to 3 significant digits): 1 µs .. 60 s, as the SPEC fixes.
const LOWEST_MICROS: u64 = 1;
const HIGHEST_MICROS: u64 = 60_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// How a request ended, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 1xx-2xx.
    Success,
    /// 3xx.
    Redirect,
    /// 4xx.
    ClientError,
    /// 5xx from the upstream.
    ServerError,
    /// No response: the upstream could not be reached.
    TransportError,
}

impl StatusClass {
    /// Every class, in label order.
    pub const ALL: [StatusClass; 5] = [
        StatusClass::Success,
        StatusClass::Redirect,
        StatusClass::ClientError,
        StatusClass::ServerError,
        StatusClass::TransportError,
    ];

    /// The class of an HTTP status code.
    pub fn of(code: u16) -> Self {
        match code {
            0..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirect,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }

    /// The `status_class` label value.
    pub fn label(self) -> &'static str {
        match self {
            StatusClass::Success => "2xx",
            StatusClass::Redirect => "3xx",
            StatusClass::ClientError => "4xx",
            StatusClass::ServerError => "5xx",
            StatusClass::TransportError => "transport_error",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One series: its latency histogram and the exact sum of latencies.
#[derive(Debug)]
pub(super) struct Series {
    histogram: Mutex<Histogram<u64>>,
    sum_micros: AtomicU64,
}

impl Series {
    fn new() -> Result<Self, CreationError> {
        let histogram =
            Histogram::new_with_bounds(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS)?;
        Ok(Self {
            histogram: Mutex::new(histogram),
            sum_micros: AtomicU64::new(0),
        })
    }

    fn record(&self, micros: u64) {
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        if let Ok(mut h) = self.histogram.lock() {
            h.saturating_record(micros.clamp(LOWEST_MICROS, HIGHEST_MICROS));
        }
    }

    /// A copy of the histogram and the sum, for exposition.
    pub(super) fn snapshot(&self) -> Option<(Histogram<u64>, u64)> {
        let h = self.histogram.lock().ok()?.clone();
        Some((h, self.sum_micros.load(Ordering::Relaxed)))
    }
}

/// RED metrics of one sidecar.
#[derive(Debug)]
pub struct RedMetrics {
    /// `[direction * classes + class]`.
    series: Vec<Series>,
}

fn series_index(direction: Direction, class: StatusClass) -> usize {
    let direction = match direction {
        Direction::Inbound => 0,
        Direction::Outbound => 1,
    };
    direction * StatusClass::ALL.len() + class.index()
}

impl RedMetrics {
    /// Empty metrics for both directions and every class.
    pub fn new() -> Result<Self, CreationError> {
        let series = (0..2 * StatusClass::ALL.len())
            .map(|_| Series::new())
            .collect::<Result<_, _>>()?;
        Ok(Self { series })
    }

    /// Records one request.
    pub fn record(&self, direction: Direction, class: StatusClass, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        if let Some(series) = self.series.get(series_index(direction, class)) {
            series.record(micros);
        }
    }

    pub(super) fn series(&self, direction: Direction, class: StatusClass) -> Option<&Series> {
        self.series.get(series_index(direction, class))
    }
}
