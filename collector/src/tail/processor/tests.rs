use std::time::Duration;

use super::*;
use crate::test_support::{error_span, flood_span, policy_set as set, stored};

const ERRORS_AND_SLOW: &str = "
decision_wait: 10s
decision_wait_after_root_received: 1s
num_traces: 100
policies:
  - name: errors
    type: status_code
    status_code: {status_codes: [ERROR]}
  - name: slow
    type: latency
    latency: {threshold_ms: 500}
";

fn policy_of(span: &StoredSpan) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == "sampling.policy")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s) => {
                Some(s.clone())
            }
            _ => None,
        })
}

fn processor(policies: Arc<ArcSwap<TailPolicySet>>) -> (TailProcessor, Arc<TailCounters>) {
    let counters = Arc::new(TailCounters::default());
    (
        TailProcessor::new(policies, TailLimits::default(), counters.clone()),
        counters,
    )
}

#[tokio::test(start_paused = true)]
async fn errors_are_kept_with_their_policy_and_the_rest_dropped_after_the_wait() {
    let (mut tail, counters) = processor(set(ERRORS_AND_SLOW));
    let mut out = Vec::new();
    let t0 = Instant::now();
    // Children only (no root yet): wait the full decision_wait.
    tail.accept(
        vec![
            error_span(1, 2, Some(1)),
            stored(2, 2, Some(1), "svc", "op"),
        ],
        t0,
        &mut out,
    );
    tail.expire(t0 + Duration::from_secs(9), &mut out);
    assert!(out.is_empty(), "decided before decision_wait");
    tail.expire(t0 + Duration::from_secs(10), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].trace_id, 1u128.to_be_bytes());
    assert_eq!(policy_of(&out[0]).as_deref(), Some("errors"));
    assert_eq!(TailCounters::get(&counters.traces_kept), 1);
    assert_eq!(TailCounters::get(&counters.traces_dropped), 1);
    assert_eq!(counters.kept_by_policy().get("errors"), Some(&1));
}

#[tokio::test(start_paused = true)]
async fn a_root_span_brings_the_decision_forward_and_late_spans_follow_it() {
    let (mut tail, counters) = processor(set(ERRORS_AND_SLOW));
    let mut out = Vec::new();
    let t0 = Instant::now();
    tail.accept(
        vec![error_span(7, 2, Some(1)), stored(7, 1, None, "svc", "root")],
        t0,
        &mut out,
    );
    tail.accept(vec![stored(8, 1, None, "svc", "root")], t0, &mut out);
    tail.expire(t0 + Duration::from_secs(1), &mut out);
    assert_eq!(out.len(), 2, "decided 1 s after the root, not 10 s");
    // Late spans: the kept trace's are delivered and annotated, the dropped trace's are not.
    out.clear();
    tail.accept(
        vec![
            stored(7, 3, Some(1), "svc", "late"),
            stored(8, 3, Some(1), "svc", "late"),
        ],
        t0 + Duration::from_secs(2),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].trace_id, policy_of(&out[0]).as_deref()),
        (7u128.to_be_bytes(), Some("errors"))
    );
    assert_eq!(TailCounters::get(&counters.late_spans_kept), 1);
    assert_eq!(TailCounters::get(&counters.late_spans_dropped), 1);
}

#[tokio::test(start_paused = true)]
async fn a_flood_of_unique_traces_stays_within_num_traces() {
    let (mut tail, counters) = processor(set(
        &ERRORS_AND_SLOW.replace("num_traces: 100", "num_traces: 10")
    ));
    let mut out = Vec::new();
    let now = Instant::now();
    for trace in 1..=1000u128 {
        tail.accept(vec![flood_span(trace)], now, &mut out);
        assert!(TailCounters::get(&counters.traces_buffered) <= 10);
    }
    assert_eq!(TailCounters::get(&counters.traces_decided_early), 990);
    // Deciding early still applies the policies: exactly the error traces decided so far.
    assert_eq!(out.len(), 9);
    tail.flush(now, &mut out);
    assert_eq!(out.len(), 10);
}

#[tokio::test(start_paused = true)]
async fn a_replaced_policy_set_decides_the_traces_in_flight() {
    let policies = set(ERRORS_AND_SLOW);
    let (mut tail, _) = processor(policies.clone());
    let mut out = Vec::new();
    let t0 = Instant::now();
    tail.accept(vec![stored(5, 2, Some(1), "svc", "op")], t0, &mut out);
    policies.store(set("policies: [{name: all, type: always_sample}]").load_full());
    tail.expire(t0 + Duration::from_secs(10), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(policy_of(&out[0]).as_deref(), Some("all"));
}

#[tokio::test(start_paused = true)]
async fn no_policies_pass_everything_through() {
    let (tail, _) = processor(Arc::new(ArcSwap::from_pointee(TailPolicySet::keep_all())));
    assert!(tail.passes_through());
}
