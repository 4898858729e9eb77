//! OpenTelemetry consistent probability sampling: a 56-bit randomness value R per trace and a
//! 56-bit rejection threshold T per sampler; a span is kept iff `R >= T`. Because every hop
//! reads the same R, hops sampling at different probabilities still agree on the traces they
//! share, and a kept span's adjusted count is `2^56 / (2^56 - T)`.
//!
//! Encodings follow the OpenTelemetry `tracestate` handling spec: `th` is 1..=14 lowercase hex
//! digits with trailing zeros removed, `rv` exactly 14.

use std::fmt;

use crate::TraceId;
use crate::hex;

/// 2^56: the number of distinct randomness values.
const MAX: u64 = 1 << 56;
/// Hex digits in a full-precision threshold or randomness value.
const DIGITS: usize = 14;

/// Why a `th` or `rv` value could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// Empty, or more digits than the encoding allows.
    #[error("wrong number of hex digits")]
    Length,
    /// A character is not a lowercase hex digit.
    #[error("not lowercase hex")]
    NotHex,
}

fn parse_hex_56(text: &[u8], exact: bool) -> Result<u64, ThresholdError> {
    let len = text.len();
    if len == 0 || len > DIGITS || (exact && len != DIGITS) {
        return Err(ThresholdError::Length);
    }
    let mut value = 0u64;
    for &c in text {
        value = (value << 4) | u64::from(hex::value(c).ok_or(ThresholdError::NotHex)?);
    }
    // Left-justify: "8" means 0x80000000000000.
    Ok(value << (4 * (DIGITS - len)))
}

/// The randomness R of one trace, in `[0, 2^56)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Randomness(u64);

impl Randomness {
    /// R from the trace id's low 56 bits (used when `tracestate` has no `ot=rv`).
    pub fn from_trace_id(id: TraceId) -> Self {
        Self(id.low_56_bits())
    }

    /// R from an explicit `ot=rv:` value (exactly 14 hex digits).
    pub fn parse_rv(text: &str) -> Result<Self, ThresholdError> {
        Self::parse_rv_bytes(text.as_bytes())
    }

    /// [`Randomness::parse_rv`] over bytes (as `tracestate` is read). Inlined where
    /// `tracestate` is read: two words of work, less than a call's.
    #[inline]
    pub(crate) fn parse_rv_bytes(text: &[u8]) -> Result<Self, ThresholdError> {
        let digits = <&[u8; DIGITS]>::try_from(text).map_err(|_| ThresholdError::Length)?;
        // Two overlapping words of eight digits: 0-7, and 6-13 of which the last six are new.
        let (high, low) = (digits.first_chunk::<8>(), digits.last_chunk::<8>());
        let high = high.and_then(|word| hex::decode_word(*word));
        let low = low.and_then(|word| hex::decode_word(*word));
        match (high, low) {
            (Some(high), Some(low)) => {
                Ok(Self((u64::from(high) << 24) | u64::from(low & 0x00ff_ffff)))
            }
            _ => Err(ThresholdError::NotHex),
        }
    }

    /// The raw 56-bit value.
    pub fn value(self) -> u64 {
        self.0
    }

    /// R from its raw value; `None` at 2^56 or above.
    pub(crate) fn from_value(value: u64) -> Option<Self> {
        (value < MAX).then_some(Self(value))
    }
}

/// A rejection threshold T in `[0, 2^56)`: keep iff `R >= T`. `T = 0` keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Threshold(u64);

impl Threshold {
    /// Keeps every trace (probability 1, `th:0`).
    pub const ALWAYS: Self = Self(0);

    /// The threshold for probability `p`: `T = round((1 - p) * 2^56)`. `None` when `p` keeps
    /// nothing (`p <= 0`) or is not a number; `p >= 1` gives [`Threshold::ALWAYS`].
    pub fn from_probability(p: f64) -> Option<Self> {
        if p.is_nan() || p <= 0.0 {
            return None;
        }
        if p >= 1.0 {
            return Some(Self::ALWAYS);
        }
        // Work in the rejected fraction so small p keep their precision; MAX is exact in f64.
        let rejected = ((1.0 - p) * MAX as f64).round() as u64;
        // p > 0 so at least one value of R must be kept.
        Some(Self(rejected.min(MAX - 1)))
    }

    /// Parses a `th` value (1..=14 hex digits, trailing zeros implied).
    pub fn parse_th(text: &str) -> Result<Self, ThresholdError> {
        Self::parse_th_bytes(text.as_bytes())
    }

    /// [`Threshold::parse_th`] over bytes (as `tracestate` is read).
    pub(crate) fn parse_th_bytes(text: &[u8]) -> Result<Self, ThresholdError> {
        parse_hex_56(text, false).map(Self)
    }

    /// Whether a trace with randomness `r` is kept.
    pub fn keeps(self, r: Randomness) -> bool {
        r.0 >= self.0
    }

    /// The sampling probability this threshold implements.
    pub fn probability(self) -> f64 {
        (MAX - self.0) as f64 / MAX as f64
    }

    /// How many traces one kept trace stands for: `1 / probability`.
    pub fn adjusted_count(self) -> f64 {
        MAX as f64 / (MAX - self.0) as f64
    }

    /// The raw 56-bit value.
    pub fn value(self) -> u64 {
        self.0
    }

    /// T from its raw value; `None` at 2^56 or above.
    pub(crate) fn from_value(value: u64) -> Option<Self> {
        (value < MAX).then_some(Self(value))
    }
}

impl Threshold {
    /// The `th` encoding on the stack: 14 hex digits with trailing zeros removed, `0` for zero.
    pub fn to_th(self) -> ThText {
        let mut text = ThText {
            buf: [b'0'; DIGITS],
            len: 1,
        };
        if self.0 == 0 {
            return text;
        }
        // Trailing zero digits are dropped; a value under 2^56 has at most 14 digits.
        let digits = DIGITS - (self.0.trailing_zeros() as usize / 4).min(DIGITS - 1);
        let shifted = self.0 >> (4 * (DIGITS - digits));
        for (i, slot) in text.buf.iter_mut().take(digits).enumerate() {
            let nibble = shifted >> (4 * (digits - 1 - i));
            *slot = hex::digit((nibble & 0x0f) as u8);
        }
        text.len = digits;
        text
    }
}

/// A `th` value written on the stack by [`Threshold::to_th`].
#[derive(Debug, Clone, Copy)]
pub struct ThText {
    buf: [u8; DIGITS],
    len: usize,
}

impl ThText {
    /// The digits.
    pub fn as_str(&self) -> &str {
        hex::as_str(self.as_bytes())
    }

    /// The digits, as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Display for Threshold {
    /// The `th` encoding: 14 hex digits with trailing zeros removed, `0` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_th().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[rustfmt::skip]
    const TH_VECTORS: &[(f64, &str)] = &[
        (1.0, "0"),
        (0.5, "8"),
        (0.25, "c"),
        (0.125, "e"),
        (0.75, "4"),
        (0.0625, "f"),
    ];

    #[test]
    fn probability_to_th_vectors() {
        for &(p, th) in TH_VECTORS {
            let t = Threshold::from_probability(p).unwrap();
            assert_eq!(t.to_string(), th, "p={p}");
            assert_eq!(Threshold::parse_th(th).unwrap(), t, "th={th}");
            assert!((t.probability() - p).abs() < 1e-12);
        }
    }

    #[test]
    fn edges() {
        assert_eq!(Threshold::from_probability(0.0), None);
        assert_eq!(Threshold::from_probability(f64::NAN), None);
        assert_eq!(Threshold::from_probability(2.0), Some(Threshold::ALWAYS));
        assert_eq!(Threshold::parse_th(""), Err(ThresholdError::Length));
        assert_eq!(
            Threshold::parse_th("123456789abcdef"),
            Err(ThresholdError::Length)
        );
        assert_eq!(Threshold::parse_th("8G"), Err(ThresholdError::NotHex));
        assert_eq!(Randomness::parse_rv("8"), Err(ThresholdError::Length));
        assert_eq!(
            Randomness::parse_rv("80000000000000").unwrap().value(),
            1 << 55
        );
        let tiny = Threshold::from_probability(1e-30).unwrap();
        assert_eq!(tiny.value(), MAX - 1);
        assert_eq!(tiny.to_string(), "ffffffffffffff");
    }

    #[test]
    fn adjusted_count_is_inverse_probability() {
        let t = Threshold::from_probability(0.01).unwrap();
        assert!((t.adjusted_count() - 100.0).abs() < 1e-6);
    }

    proptest! {
        /// Word-at-a-time `rv` parsing agrees with the digit loop `th` uses, on digits and
        /// near misses at every position and of every length.
        #[test]
        fn rv_matches_the_digit_loop(text in "[0-9a-f/:`gA]{0,16}") {
            let want = parse_hex_56(text.as_bytes(), true).map(Randomness);
            prop_assert_eq!(Randomness::parse_rv(&text), want);
        }

        /// A trace kept at probability p is kept at every p' > p (thresholds are monotone).
        #[test]
        fn kept_at_p_is_kept_at_higher_p(p in 1e-6f64..1.0, q in 1e-6f64..1.0, r in 0u64..MAX) {
            let (lo, hi) = if p < q { (p, q) } else { (q, p) };
            let r = Randomness(r);
            if Threshold::from_probability(lo).unwrap().keeps(r) {
                prop_assert!(Threshold::from_probability(hi).unwrap().keeps(r));
            }
        }

        /// `th` round-trips through its text form.
        #[test]
        fn th_round_trips(t in 0u64..MAX) {
            let t = Threshold(t);
            prop_assert_eq!(Threshold::parse_th(&t.to_string()).unwrap(), t);
        }

        /// The stack encoding writes what `format!` with a zero-padded width writes.
        #[test]
        fn th_text_matches_format(t in 0u64..MAX) {
            let want = if t == 0 {
                "0".to_owned()
            } else {
                let digits = DIGITS - (t.trailing_zeros() as usize / 4);
                let shifted = t >> (4 * (DIGITS - digits));
                format!("{shifted:0digits$x}")
            };
            let text = Threshold(t).to_th();
            prop_assert_eq!(text.as_str(), want);
        }
    }
}
