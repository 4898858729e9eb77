use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::test_support::{error_span, flood_span, policy_set as set, stored};

const ERRORS: &str = "
decision_wait: 10s
decision_wait_after_root_received: 1s
num_traces: 10
policies:
  - name: errors
    type: status_code
    status_code: {status_codes: [ERROR]}
";

fn shards(yaml: &str, count: usize) -> (TailShards, Arc<TailCounters>) {
    let counters = Arc::new(TailCounters::default());
    let shards = TailShards::new(set(yaml), TailLimits::default(), counters.clone(), count);
    (shards, counters)
}

fn trace_ids(spans: &[StoredSpan]) -> BTreeSet<u128> {
    spans
        .iter()
        .map(|s| u128::from_be_bytes(s.trace_id))
        .collect()
}

#[test]
fn parts_add_up_and_routing_is_stable() {
    for (total, count) in [(10, 4), (3, 4), (0, 2), (50_000, 3), (7, 1)] {
        let parts: Vec<u64> = (0..count).map(|i| share(total, i, count)).collect();
        assert_eq!(parts.iter().sum::<u64>(), total, "{total} over {count}");
        assert!(parts.iter().max().unwrap() - parts.iter().min().unwrap() <= 1);
    }
    let id = 0x0123_4567_89ab_cdef_1122_3344_5566_7788u128.to_be_bytes();
    assert_eq!(shard_of(&id, 4), shard_of(&id, 4));
    assert_eq!(shard_of(&id, 1), 0);
    assert_eq!(shard_of(&id, 0), 0, "no shards means one");
    let used: BTreeSet<usize> = (1..=64u128)
        .map(|t| shard_of(&t.to_be_bytes(), 4))
        .collect();
    assert_eq!(used.len(), 4, "consecutive ids spread over every shard");
}

#[tokio::test(start_paused = true)]
async fn a_flood_stays_within_num_traces_across_shards() {
    let (mut tail, counters) = shards(ERRORS, 4);
    let mut out = Vec::new();
    let now = Instant::now();
    for trace in 1..=1000u128 {
        tail.accept(vec![flood_span(trace)], now, &mut out);
        assert!(TailCounters::get(&counters.traces_buffered) <= 10);
    }
    assert_eq!(TailCounters::get(&counters.traces_buffered), 10);
    assert_eq!(TailCounters::get(&counters.traces_decided_early), 990);
    tail.flush(now, &mut out);
    let errors: BTreeSet<u128> = (1..=10).map(|n| n * 100).collect();
    assert_eq!(trace_ids(&out), errors, "exactly the error traces are kept");
    assert_eq!(TailCounters::get(&counters.traces_buffered), 0);
    assert_eq!(TailCounters::get(&counters.spans_buffered), 0);
    assert_eq!(TailCounters::get(&counters.bytes_buffered), 0);
}

#[tokio::test(start_paused = true)]
async fn timing_and_late_spans_hold_in_every_shard() {
    let (mut tail, counters) = shards(&ERRORS.replace("num_traces: 10", "num_traces: 100"), 3);
    let mut out = Vec::new();
    let t0 = Instant::now();
    // Even traces error; traces 1..=6 get a root (decided after 1 s), 7..=12 do not (10 s).
    let mut batch = Vec::new();
    for trace in 1..=12u128 {
        batch.push(if trace % 2 == 0 {
            error_span(trace, 2, Some(1))
        } else {
            stored(trace, 2, Some(1), "svc", "op")
        });
        if trace <= 6 {
            batch.push(stored(trace, 1, None, "svc", "root"));
        }
    }
    tail.accept(batch, t0, &mut out);
    tail.expire(t0 + Duration::from_millis(999), &mut out);
    assert!(out.is_empty(), "decided before the root's grace");
    tail.expire(t0 + Duration::from_secs(1), &mut out);
    assert_eq!(trace_ids(&out), BTreeSet::from([2, 4, 6]));
    tail.expire(t0 + Duration::from_millis(9_999), &mut out);
    assert_eq!(
        trace_ids(&out).len(),
        3,
        "rootless traces wait decision_wait"
    );
    tail.expire(t0 + Duration::from_secs(10), &mut out);
    assert_eq!(trace_ids(&out), BTreeSet::from([2, 4, 6, 8, 10, 12]));
    out.clear();
    let late = (1..=12u128)
        .map(|t| stored(t, 9, Some(1), "svc", "late"))
        .collect();
    tail.accept(late, t0 + Duration::from_secs(11), &mut out);
    assert_eq!(trace_ids(&out), BTreeSet::from([2, 4, 6, 8, 10, 12]));
    assert_eq!(TailCounters::get(&counters.late_spans_kept), 6);
    assert_eq!(TailCounters::get(&counters.late_spans_dropped), 6);
    assert_eq!(TailCounters::get(&counters.traces_buffered), 0);
}

#[tokio::test(start_paused = true)]
async fn a_replaced_set_decides_the_traces_in_flight_of_every_shard() {
    let (mut tail, _) = shards(ERRORS, 4);
    let mut out = Vec::new();
    let t0 = Instant::now();
    let batch = (1..=8u128)
        .map(|t| stored(t, 2, Some(1), "svc", "op"))
        .collect();
    tail.accept(batch, t0, &mut out);
    tail.policies()
        .store(set("policies: [{name: all, type: always_sample}]").load_full());
    tail.expire(t0 + Duration::from_secs(10), &mut out);
    assert_eq!(trace_ids(&out), (1..=8).collect());
}

#[tokio::test(start_paused = true)]
async fn a_trace_reaching_max_spans_is_decided_at_once() {
    let counters = Arc::new(TailCounters::default());
    let limits = TailLimits {
        max_spans_per_trace: 3,
        ..TailLimits::default()
    };
    let mut tail = TailShards::new(
        set("policies: [{name: all, type: always_sample}]"),
        limits,
        counters.clone(),
        2,
    );
    let mut out = Vec::new();
    let now = Instant::now();
    let spans = (2..=3)
        .map(|s| stored(1, s, Some(1), "svc", "op"))
        .collect();
    tail.accept(spans, now, &mut out);
    assert!(out.is_empty());
    tail.accept(vec![stored(1, 4, Some(1), "svc", "op")], now, &mut out);
    assert_eq!(out.len(), 3, "the third span completes the trace");
    tail.accept(vec![stored(1, 5, Some(1), "svc", "op")], now, &mut out);
    assert_eq!(out.len(), 4, "a further span follows the decision");
    assert_eq!(TailCounters::get(&counters.late_spans_kept), 1);
}
