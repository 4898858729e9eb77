//! Service graph pairing, and batches against single spans.

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

use super::*;

#[test]
fn client_and_server_pair_in_either_order() {
    let (a, start) = aggregator(AggregateConfig::default());
    let (c1, s1) = call(1, 1, 2);
    a.observe_weighted(&c1, AdjustedCount::new(4.0), start);
    a.observe_weighted(&s1, AdjustedCount::new(4.0), start);
    let (c2, s2) = call(2, 1, 2);
    a.observe_weighted(&failed(s2), AdjustedCount::ONE, start);
    a.observe_weighted(&c2, AdjustedCount::ONE, start);
    assert_eq!(
        edges(&a, start),
        vec![("frontend".into(), "cart".into(), 5.0, 1.0, 5)]
    );
    let stats = a.graph().stats(start);
    assert_eq!(
        (stats.paired_calls, stats.pending_spans, stats.edges),
        (2, 0, 1)
    );
    let e = &a.graph().snapshot(Window::All, start)[0];
    let p = summarize([&e.data], a.graph().layout(), Duration::from_secs(1)).unwrap();
    assert!(
        (p.percentiles.unwrap().p50 - 0.003).abs() < 1e-5,
        "client duration"
    );
}

#[test]
fn zipkin_shared_spans_pair_by_their_common_id() {
    let (a, start) = aggregator(AggregateConfig::default());
    // A shared span: the server keeps the client's id, and both have the client's parent.
    for (trace, server_first, parent) in [
        (3, true, Some([8; 8])),
        (4, false, Some([8; 8])),
        (5, true, None),
        (6, false, None),
    ] {
        let (mut client, mut server) = call(trace, 9, 9);
        client.parent_span_id = parent;
        server.parent_span_id = parent;
        let order = if server_first {
            [&server, &client]
        } else {
            [&client, &server]
        };
        for s in order {
            a.observe_weighted(s, AdjustedCount::ONE, start);
        }
    }
    assert_eq!(
        edges(&a, start),
        vec![("frontend".into(), "cart".into(), 4.0, 0.0, 4)]
    );
    assert_eq!(a.graph().stats(start).pending_spans, 0);
}

#[test]
fn unpaired_spans_expire_after_the_window_and_the_table_is_bounded() {
    let config = AggregateConfig {
        max_pending_spans: 4,
        shards: 1,
        ..AggregateConfig::default()
    };
    let (a, start) = aggregator(config);
    let (c1, s1) = call(1, 1, 2);
    a.observe_weighted(&c1, AdjustedCount::ONE, start);
    a.observe_weighted(&s1, AdjustedCount::ONE, start + Duration::from_secs(11));
    let stats = a.graph().stats(start + Duration::from_secs(11));
    assert_eq!(
        (stats.paired_calls, stats.expired_spans, stats.pending_spans),
        (0, 1, 1)
    );
    for t in 10..20u8 {
        let (c, _) = call(t, 1, 2);
        a.observe_weighted(&c, AdjustedCount::ONE, start + Duration::from_secs(12));
    }
    let stats = a.graph().stats(start + Duration::from_secs(12));
    assert_eq!(stats.pending_spans, 4);
    assert_eq!(stats.evicted_spans, 7);
    assert!(edges(&a, start).is_empty());
}

#[test]
fn a_full_table_drops_its_oldest_halves_first() {
    let config = AggregateConfig {
        max_pending_spans: 16,
        shards: 1,
        ..AggregateConfig::default()
    };
    let (a, start) = aggregator(config);
    let calls: Vec<(StoredSpan, StoredSpan)> = (0..25u8)
        .map(|t| {
            let (mut client, server) = call(t, 1, 2);
            if t < 10 {
                client.service = "old".into();
            }
            (client, server)
        })
        .collect();
    for (i, (client, _)) in calls.iter().enumerate() {
        let at = start + Duration::from_millis(i as u64);
        a.observe_weighted(client, AdjustedCount::ONE, at);
    }
    // Full at 16: each later client drops the oldest eighth (two) first.
    let now = start + Duration::from_secs(1);
    let stats = a.graph().stats(now);
    assert_eq!((stats.pending_spans, stats.evicted_spans), (15, 10));
    // Newest first, so servers that wait in vain do not push clients out.
    for (_, server) in calls.iter().rev() {
        a.observe_weighted(server, AdjustedCount::ONE, now);
    }
    // Only the newest fifteen clients were still waiting: no call from "old" paired.
    assert_eq!(
        edges(&a, now),
        vec![("frontend".into(), "cart".into(), 15.0, 0.0, 15)]
    );
}

#[test]
fn unpaired_halves_expire_within_an_eighth_of_the_window_late() {
    let (a, start) = aggregator(AggregateConfig {
        shards: 1,
        ..AggregateConfig::default()
    });
    let window = Duration::from_secs(10);
    for t in 0..8u8 {
        let (client, _) = call(t, 1, 2);
        // Arrivals 100 ms apart.
        a.observe_weighted(
            &client,
            AdjustedCount::ONE,
            start + Duration::from_millis(100 * u64::from(t)),
        );
    }
    assert_eq!(a.graph().stats(start + window).expired_spans, 1);
    // The next sweep is an eighth of the window later: the rest expire then, not before.
    let next = start + window + window / 8;
    assert_eq!(
        a.graph()
            .stats(next - Duration::from_millis(1))
            .expired_spans,
        1
    );
    let stats = a.graph().stats(next);
    assert_eq!((stats.expired_spans, stats.pending_spans), (8, 0));
}

#[test]
fn batches_aggregate_like_single_spans() {
    let spans: Vec<(StoredSpan, AdjustedCount)> = (0..40u8)
        .flat_map(|t| {
            let (mut client, mut server) = call(t, 1, 2);
            client.name = format!("op{}", t % 8);
            if t % 3 == 0 {
                server.status.code = StatusCode::Error;
            }
            [
                (server, AdjustedCount::new(1.0 + f64::from(t) / 10.0)),
                (client, AdjustedCount::new(2.5)),
            ]
        })
        .collect();
    let refs: Vec<(&StoredSpan, AdjustedCount)> = spans.iter().map(|(s, w)| (s, *w)).collect();
    let totals = |a: &Aggregator, start| {
        let snap = a.span_metrics().snapshot(Window::All, start);
        let series: Vec<_> = snap
            .iter()
            .map(|s| {
                (
                    s.key.clone(),
                    (s.data.requests * 1e6).round(),
                    (s.data.errors * 1e6).round(),
                )
            })
            .collect();
        (series, a.span_metrics().stats(), edges(a, start))
    };
    let (one, start) = aggregator(AggregateConfig::default());
    for &(s, w) in &refs {
        one.observe_weighted(s, w, start);
    }
    let (batch, _) = aggregator(AggregateConfig::default());
    batch.observe_weighted_batch(&refs, start);
    assert_eq!(totals(&one, start), totals(&batch, start));
    // Under a cap, which series win depends on order, but the counts do not.
    let (capped, _) = aggregator(AggregateConfig {
        max_series: 5,
        ..AggregateConfig::default()
    });
    capped.observe_weighted_batch(&refs, start);
    let stats = capped.span_metrics().stats();
    assert_eq!((stats.series, stats.overflow_spans), (6, 25));
}
