//! `th` and `rv` values: whatever parses must print back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sampler::{Randomness, Threshold};

/// 2^56: thresholds and randomness values are below it.
const MAX: u64 = 1 << 56;

fuzz_target!(|text: &str| {
    if let Ok(th) = Threshold::parse_th(text) {
        assert!(th.value() < MAX);
        let shown = th.to_string();
        assert_eq!(
            Threshold::parse_th(&shown),
            Ok(th),
            "{text:?} shown as {shown:?}"
        );
        let p = th.probability();
        assert!(p > 0.0 && p <= 1.0, "{text:?}: p = {p}");
    }
    if let Ok(rv) = Randomness::parse_rv(text) {
        assert!(rv.value() < MAX);
        // rv has no Display: its encoding is always 14 hex digits.
        let shown = format!("{:014x}", rv.value());
        assert_eq!(
            Randomness::parse_rv(&shown),
            Ok(rv),
            "{text:?} shown as {shown:?}"
        );
        assert_eq!(shown, text, "rv has one encoding");
    }
});
