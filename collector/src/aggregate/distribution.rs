//! Latency distributions in the HDR layout (1 us .. 60 s, 3 significant digits), kept sparse.
//!
//! A dense `hdrhistogram::Histogram<u64>` over that range holds 17,408 counters (139 KB); one
//! per series and per 10 s slot would cost gigabytes at the series cap. So observations are
//! bucketed with the HDR layout (each value maps to its bucket's lowest equivalent value) and
//! only non-empty buckets are stored: a hash map while a slot is open ([`Tally`]), a sorted
//! vector once it is closed ([`Distribution`]). Reads rebuild a real HDR histogram from the
//! sparse buckets ([`Distribution::to_hdr`]), so percentiles are exactly what a dense HDR
//! histogram fed the same values would answer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use hdrhistogram::{CreationError, Histogram};

/// Lowest latency tracked, in microseconds; shorter spans count as 1 us.
pub const LOWEST_MICROS: u64 = 1;
/// Highest latency tracked, in microseconds (60 s); longer spans count as 60 s.
pub const HIGHEST_MICROS: u64 = 60_000_000;
/// HDR precision.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// The HDR bucket layout, shared by every series of an aggregator.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Never recorded into: only its layout (bucket arithmetic) is used.
    hdr: Histogram<u8>,
}

impl Layout {
    /// The layout for 1 us .. 60 s at 3 significant digits.
    pub fn new() -> Result<Self, CreationError> {
        let hdr = Histogram::new_with_bounds(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS)?;
        Ok(Self { hdr })
    }

    /// The bucket of a latency in nanoseconds (rounded to microseconds, clamped to range).
    pub fn bucket(&self, nanos: u64) -> u32 {
        let micros = (nanos.saturating_add(500) / 1000).clamp(LOWEST_MICROS, HIGHEST_MICROS);
        // Lowest equivalents of in-range values are <= 60e6 < 2^32.
        u32::try_from(self.hdr.lowest_equivalent(micros)).unwrap_or(u32::MAX)
    }

    /// The largest latency (seconds) that falls in `bucket`.
    pub fn upper_seconds(&self, bucket: u32) -> f64 {
        self.hdr.highest_equivalent(u64::from(bucket)) as f64 / 1e6
    }

    /// An empty dense HDR histogram with this layout.
    pub fn empty_hdr(&self) -> Result<Histogram<u64>, CreationError> {
        Histogram::new_with_bounds(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS)
    }
}

/// Hasher for bucket keys: a multiply and a fold, so keys with trailing zero bits (the lowest
/// equivalents of wide buckets) still spread over the table.
#[derive(Debug, Default, Clone, Copy)]
pub struct BucketHasher(u64);

impl Hasher for BucketHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

type BucketMap = HashMap<u32, u64, BuildHasherDefault<BucketHasher>>;

/// What an open slot (or a cumulative edge) has seen so far.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    buckets: BucketMap,
    /// Weighted requests (exact).
    pub requests: f64,
    /// Weighted failed requests (exact).
    pub errors: f64,
    /// Weighted sum of latencies, seconds (exact).
    pub sum_seconds: f64,
}

impl Tally {
    /// Records one observation: `count` whole units into `bucket`, the exact weight into the
    /// counters.
    pub fn record(&mut self, bucket: u32, count: u64, weight: f64, seconds: f64, error: bool) {
        if count > 0 {
            *self.buckets.entry(bucket).or_insert(0) += count;
        }
        self.requests += weight;
        if error {
            self.errors += weight;
        }
        self.sum_seconds += weight * seconds;
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty() && self.requests == 0.0
    }

    /// Forgets everything, keeping the allocation for the next slot.
    pub fn clear(&mut self) {
        self.buckets.clear();
        self.requests = 0.0;
        self.errors = 0.0;
        self.sum_seconds = 0.0;
    }
}

/// A closed, read-only latency distribution with its weighted counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distribution {
    /// `(bucket, count)`, sorted by bucket, no zero counts.
    buckets: Vec<(u32, u64)>,
    /// Weighted requests (exact).
    pub requests: f64,
    /// Weighted failed requests (exact).
    pub errors: f64,
    /// Weighted sum of latencies, seconds (exact).
    pub sum_seconds: f64,
}

impl Distribution {
    /// A distribution holding what `tally` saw.
    pub fn from_tally(tally: &Tally) -> Self {
        let mut buckets: Vec<(u32, u64)> = tally.buckets.iter().map(|(&b, &c)| (b, c)).collect();
        buckets.sort_unstable_by_key(|&(b, _)| b);
        Self {
            buckets,
            requests: tally.requests,
            errors: tally.errors,
            sum_seconds: tally.sum_seconds,
        }
    }

    /// Adds `other` into this one (a merge of two sorted lists).
    pub fn add(&mut self, other: &Distribution) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.sum_seconds += other.sum_seconds;
        if other.buckets.is_empty() {
            return;
        }
        let mine = std::mem::take(&mut self.buckets);
        let mut merged = Vec::with_capacity(mine.len() + other.buckets.len());
        let (mut a, mut b) = (mine.iter().peekable(), other.buckets.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&(ka, ca)), Some(&&(kb, cb))) if ka == kb => {
                    a.next();
                    b.next();
                    (ka, ca.saturating_add(cb))
                }
                (Some(&&x), Some(&&y)) if x.0 < y.0 => {
                    a.next();
                    x
                }
                (_, Some(&&y)) => {
                    b.next();
                    y
                }
                (Some(&&x), None) => {
                    a.next();
                    x
                }
                (None, None) => break,
            };
            merged.push(next);
        }
        self.buckets = merged;
    }

    /// Adds an open slot's tally into this one.
    pub fn add_tally(&mut self, tally: &Tally) {
        self.add(&Self::from_tally(tally));
    }

    /// Whole observations in the histogram (tracks `requests` within 1 per series).
    pub fn count(&self) -> u64 {
        self.buckets
            .iter()
            .fold(0u64, |sum, &(_, c)| sum.saturating_add(c))
    }

    /// Non-empty buckets as `(bucket, count)`, ascending.
    pub fn buckets(&self) -> &[(u32, u64)] {
        &self.buckets
    }

    /// The same counts in a dense HDR histogram, for percentiles.
    pub fn to_hdr(&self, layout: &Layout) -> Result<Histogram<u64>, CreationError> {
        let mut hdr = layout.empty_hdr()?;
        for &(bucket, count) in &self.buckets {
            hdr.saturating_record_n(u64::from(bucket), count);
        }
        Ok(hdr)
    }

    /// Per-bucket (not cumulative) counts at the upper bounds `bounds` (seconds, ascending),
    /// with a final `(f64::MAX, n)` for `+Inf`, as `prometheus-client` encodes histograms.
    pub fn prometheus_buckets(&self, layout: &Layout, bounds: &[f64]) -> Vec<(f64, u64)> {
        let mut counts = vec![0u64; bounds.len() + 1];
        for &(bucket, count) in &self.buckets {
            let seconds = layout.upper_seconds(bucket);
            let i = bounds.partition_point(|&le| le < seconds);
            if let Some(slot) = counts.get_mut(i) {
                *slot = slot.saturating_add(count);
            }
        }
        bounds
            .iter()
            .copied()
            .chain([f64::MAX])
            .zip(counts)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(values_micros: &[u64], layout: &Layout) -> Distribution {
        let mut tally = Tally::default();
        for &v in values_micros {
            tally.record(layout.bucket(v * 1000), 1, 1.0, v as f64 / 1e6, false);
        }
        Distribution::from_tally(&tally)
    }

    #[test]
    fn merge_adds_counts_bucket_by_bucket() {
        let layout = Layout::new().unwrap();
        let mut a = dist(&[1, 5, 1000, 1000], &layout);
        let b = dist(&[5, 7, 2_000_000], &layout);
        a.add(&b);
        assert_eq!(a.count(), 7);
        assert_eq!(a.requests, 7.0);
        let keys: Vec<u32> = a.buckets().iter().map(|&(k, _)| k).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(keys, sorted);
        assert_eq!(a.to_hdr(&layout).unwrap().len(), 7);
    }

    #[test]
    fn values_clamp_to_the_range() {
        let layout = Layout::new().unwrap();
        assert_eq!(layout.bucket(0), 1);
        assert_eq!(layout.bucket(400), 1);
        let top = layout.bucket(3_600_000_000_000);
        assert_eq!(top, layout.bucket(60_000_000_000));
    }

    #[test]
    fn prometheus_buckets_split_at_bounds() {
        let layout = Layout::new().unwrap();
        let d = dist(&[100, 900, 1000, 1500, 70_000_000], &layout);
        let b = d.prometheus_buckets(&layout, &[0.001, 0.01]);
        assert_eq!(b, vec![(0.001, 3), (0.01, 1), (f64::MAX, 1)]);
    }
}
