//! `rate_limiting` and `bytes_limiting` with `now` stepping: token buckets that start full,
//! refill at the rate and never hold more than the burst.

use super::support::{at_ms, one, span, spans, trace};
use crate::tail::TailPolicySet;

/// How many of `count` traces of `spans_each` spans, all at `ms`, are kept.
fn kept(set: &TailPolicySet, ms: u64, count: usize, spans_each: usize) -> usize {
    let t = trace(spans(spans_each));
    (0..count)
        .filter(|_| set.decide(&t, at_ms(ms)).keep)
        .count()
}

#[test]
#[rustfmt::skip]
fn spans_per_second_with_the_default_burst() {
    // 10 spans/s, burst 20 (twice the rate); traces of 5 spans.
    let set = one("type: rate_limiting, rate_limiting: {spans_per_second: 10}");
    let steps: &[(u64, usize, usize)] = &[
        // (ms, traces offered, kept)
        (0, 10, 4),      // a full bucket: 20 spans
        (250, 10, 0),    // 2.5 spans back: not enough for 5
        (500, 10, 1),    // 5 spans back
        (10_000, 10, 4), // idle: full again, never fuller
        (9_000, 10, 0),  // time going backwards adds nothing
    ];
    for &(ms, offered, want) in steps {
        assert_eq!(kept(&set, ms, offered, 5), want, "at {ms} ms");
    }
}

#[test]
fn burst_and_its_alias() {
    for key in ["burst_capacity", "burst"] {
        let set = one(&format!(
            "type: rate_limiting, rate_limiting: {{spans_per_second: 100, {key}: 5}}"
        ));
        // A trace bigger than the burst never passes.
        assert_eq!(kept(&set, 0, 3, 6), 0, "{key}");
        assert_eq!(kept(&set, 0, 3, 5), 1, "{key}");
        // 100 spans/s: 50 ms later 5 spans are back.
        assert_eq!(kept(&set, 50, 3, 5), 1, "{key}");
    }
}

#[test]
fn steady_traffic_gets_the_rate() {
    let set = one("type: rate_limiting, rate_limiting: {spans_per_second: 20, burst_capacity: 20}");
    // One single-span trace every 10 ms (100/s) for 10 s.
    let t = trace(spans(1));
    let kept = (0..1000)
        .filter(|i| set.decide(&t, at_ms(10 * i)).keep)
        .count();
    // 20 to start + 20 per second.
    assert!((215..=222).contains(&kept), "{kept}");
}

#[test]
fn bytes_per_second() {
    let set =
        one("type: bytes_limiting, bytes_limiting: {bytes_per_second: 1000, burst_capacity: 1500}");
    let trace_of = |sizes: &[usize]| trace(sizes.iter().map(|&s| span().size(s)).collect());
    let big = trace_of(&[600, 400]);
    assert!(set.decide(&big, at_ms(0)).keep); // 1000 of 1500
    assert!(!set.decide(&big, at_ms(0)).keep); // 500 left
    assert!(set.decide(&trace_of(&[500]), at_ms(0)).keep);
    assert!(!set.decide(&trace_of(&[1]), at_ms(0)).keep);
    // One second refills 1000 bytes.
    assert!(set.decide(&big, at_ms(1000)).keep);
    // Bigger than the burst: never.
    assert!(!set.decide(&trace_of(&[1501]), at_ms(60_000)).keep);
}

#[test]
fn default_byte_burst_is_twice_the_rate() {
    let set = one("type: bytes_limiting, bytes_limiting: {bytes_per_second: 100}");
    let t = trace(vec![span().size(200)]);
    assert!(set.decide(&t, at_ms(0)).keep);
    assert!(!set.decide(&t, at_ms(0)).keep);
}
