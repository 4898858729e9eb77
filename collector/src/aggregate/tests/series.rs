//! Latency series: weights, windows, the cap, percentiles, concurrency.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use proptest::prelude::*;
use tokio::time::Instant;

use super::*;

#[test]
fn spans_sampled_at_ten_percent_count_ten_each() {
    let (a, start) = aggregator(AggregateConfig::default());
    let weight = AdjustedCount::from_trace_state("ot=th:e6666666666666");
    for i in 0..100u64 {
        let s = span("api", "GET /", SpanKind::Server, 1000 + i);
        a.observe_weighted(&s, weight, start + Duration::from_secs(1));
    }
    let s = summary(&a, None, Window::All, start + Duration::from_secs(10));
    assert!((s.requests - 1000.0).abs() < 1e-6, "{}", s.requests);
    assert_eq!(s.histogram_count, 1000);
    assert!((s.rate - 100.0).abs() < 1e-6, "{}", s.rate);
}

#[test]
fn observe_reads_the_adjusted_count_from_the_trace_state() {
    let (a, start) = aggregator(AggregateConfig::default());
    let mut sampled = span("api", "GET /", SpanKind::Server, 1000);
    sampled.trace_state = "ot=th:c;rv:ffffffffffffff,x=y".to_owned(); // p = 0.25
    let plain = span("api", "GET /", SpanKind::Server, 1000);
    a.observe(&sampled, start);
    a.observe_batch([&sampled, &sampled, &plain], start);
    assert_eq!(summary(&a, None, Window::All, start).requests, 13.0);
}

#[test]
fn fractional_weights_keep_exact_counters_and_close_histograms() {
    let (a, start) = aggregator(AggregateConfig::default());
    let weight = AdjustedCount::new(1.0 / 0.3);
    for i in 0..999u64 {
        let s = span("api", "GET /", SpanKind::Server, 100 + i);
        a.observe_weighted(&s, weight, start);
    }
    let s = summary(&a, None, Window::All, start + Duration::from_secs(1));
    assert!((s.requests - 3330.0).abs() < 1e-6);
    assert!(
        (s.histogram_count as f64 - 3330.0).abs() <= 1.0,
        "{}",
        s.histogram_count
    );
}

#[test]
fn errors_and_status_classes_are_separate_series() {
    let (a, start) = aggregator(AggregateConfig::default());
    a.observe_weighted(
        &with_http_status(span("api", "GET /", SpanKind::Server, 10), 200),
        AdjustedCount::ONE,
        start,
    );
    a.observe_weighted(
        &failed(with_http_status(
            span("api", "GET /", SpanKind::Server, 10),
            503,
        )),
        AdjustedCount::new(2.0),
        start,
    );
    a.observe_weighted(
        &failed(span("worker", "job", SpanKind::Internal, 10)),
        AdjustedCount::ONE,
        start,
    );
    let snap = a.span_metrics().snapshot(Window::All, start);
    let classes: Vec<(&str, &str, f64)> = snap
        .iter()
        .map(|s| (&*s.key.service, s.key.class.label(), s.data.errors))
        .collect();
    assert_eq!(
        classes,
        vec![
            ("api", "2xx", 0.0),
            ("api", "5xx", 2.0),
            ("worker", "error", 1.0)
        ]
    );
    let api = summary(&a, Some("api"), Window::All, start + Duration::from_secs(1));
    assert_eq!(api.error_ratio, Some(2.0 / 3.0));
}

#[test]
fn windows_slide_with_the_time_passed_in() {
    let (a, start) = aggregator(AggregateConfig::default());
    let at = |secs: u64| start + Duration::from_secs(secs);
    let observe = |n: u64, secs: u64| {
        for _ in 0..n {
            a.observe_weighted(
                &span("api", "op", SpanKind::Server, 500),
                AdjustedCount::ONE,
                at(secs),
            );
        }
    };
    observe(1, 5); // slot 0
    observe(2, 100); // slot 10
    observe(4, 500); // slot 50
    observe(8, 895); // slot 89
    let now = at(899); // slot 89: 1m = slots 84..=89, 5m = 60..=89, 15m = 0..=89
    let count = |w: Window| summary(&a, None, w, now).requests;
    assert_eq!(count(Window::OneMinute), 8.0);
    assert_eq!(count(Window::FiveMinutes), 8.0);
    assert_eq!(count(Window::FifteenMinutes), 15.0);
    assert_eq!(count(Window::All), 15.0);
    // Past fifteen minutes the first slot leaves the long window but stays cumulative.
    let later = at(905); // slot 90: 15m = slots 1..=90
    assert_eq!(
        summary(&a, None, Window::FifteenMinutes, later).requests,
        14.0
    );
    assert_eq!(summary(&a, None, Window::All, later).requests, 15.0);
    // Rates divide by the time covered: 50 s of full slots plus 5 s of the current one.
    let one = summary(&a, None, Window::OneMinute, later);
    assert_eq!(one.covered_seconds, 55.0);
    assert_eq!(one.requests, 8.0);
    assert!((one.rate - 8.0 / 55.0).abs() < 1e-9);
    // A minute after the last span, the 1 m window is empty again.
    assert_eq!(summary(&a, None, Window::OneMinute, at(960)).requests, 0.0);
    assert_eq!(
        summary(&a, None, Window::FiveMinutes, at(960)).requests,
        8.0
    );
}

#[test]
fn series_past_the_cap_go_to_the_overflow_series() {
    let config = AggregateConfig {
        max_series: 3,
        ..AggregateConfig::default()
    };
    let (a, start) = aggregator(config);
    for op in ["a", "b", "c", "d", "e", "a"] {
        a.observe_weighted(
            &span("api", op, SpanKind::Server, 10),
            AdjustedCount::new(5.0),
            start,
        );
    }
    let stats = a.span_metrics().stats();
    assert_eq!(stats.series, 4);
    assert_eq!(stats.overflow_spans, 2);
    assert_eq!(stats.observed_spans, 6);
    let snap = a.span_metrics().snapshot(Window::All, start);
    let overflow: Vec<_> = snap.iter().filter(|s| s.key.is_overflow()).collect();
    assert_eq!(overflow.len(), 1);
    assert_eq!(&*overflow[0].key.service, OVERFLOW);
    assert_eq!(overflow[0].data.requests, 10.0);
    assert_eq!(snap.iter().map(|s| s.data.requests).sum::<f64>(), 30.0);
}

#[test]
fn percentiles_match_a_known_distribution() {
    let (a, start) = aggregator(AggregateConfig::default());
    // 1 ms .. 100 ms uniformly, 10 us apart: p-quantile = 1 ms + p * 99 ms.
    for i in 0..=9_900u64 {
        a.observe_weighted(
            &span("api", "op", SpanKind::Server, 1000 + 10 * i),
            AdjustedCount::ONE,
            start,
        );
    }
    let p = summary(&a, None, Window::All, start).percentiles.unwrap();
    for (got, q) in [
        (p.p50, 0.5),
        (p.p90, 0.9),
        (p.p95, 0.95),
        (p.p99, 0.99),
        (p.p999, 0.999),
    ] {
        let truth = 0.001 + q * 0.099;
        assert!(
            (got - truth).abs() / truth < 0.002,
            "q{q}: {got} vs {truth}"
        );
    }
    assert!((p.max - 0.1).abs() / 0.1 < 0.001);
}

#[test]
fn weighted_percentiles_follow_the_weights() {
    let (a, start) = aggregator(AggregateConfig::default());
    // 10 fast spans at weight 1 and 10 slow ones at weight 9: 90% of traffic is slow.
    for _ in 0..10 {
        a.observe_weighted(
            &span("api", "op", SpanKind::Server, 1_000),
            AdjustedCount::ONE,
            start,
        );
        a.observe_weighted(
            &span("api", "op", SpanKind::Server, 50_000),
            AdjustedCount::new(9.0),
            start,
        );
    }
    let s = summary(&a, None, Window::All, start);
    let p = s.percentiles.unwrap();
    assert!((p.p50 - 0.05).abs() < 0.0001, "{}", p.p50);
    assert!(s.mean_seconds.is_some_and(|m| (m - 0.0451).abs() < 1e-9));
}

#[test]
fn concurrent_observers_lose_nothing() {
    let (a, start) = aggregator(AggregateConfig::default());
    let a = Arc::new(a);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let a = Arc::clone(&a);
            std::thread::spawn(move || {
                for i in 0..5_000u64 {
                    let s = span("svc", &format!("op{}", i % 50), SpanKind::Server, 100 + t);
                    a.observe_weighted(&s, AdjustedCount::new(2.0), start);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = summary(&a, None, Window::All, start + Duration::from_secs(1));
    assert_eq!(s.requests, 20_000.0);
    assert_eq!(a.span_metrics().stats().series, 50);
}

proptest! {
    #[test]
    fn merging_slots_equals_recording_once(
        values in proptest::collection::vec(1u64..70_000_000, 1..200),
        split in 0usize..200,
    ) {
        let layout = Layout::new().unwrap();
        let (config, start) = (AggregateConfig::default(), Instant::now());
        let one = SpanMetrics::new(&config, start).unwrap();
        for &v in &values {
            one.observe(&span("s", "o", SpanKind::Server, v), AdjustedCount::ONE, start);
        }
        // The same values spread over many slots must merge to the same cumulative histogram.
        let many = SpanMetrics::new(&config, start).unwrap();
        for (i, &v) in values.iter().enumerate() {
            let at = start + Duration::from_secs(if i < split { 0 } else { 10 * i as u64 });
            many.observe(&span("s", "o", SpanKind::Server, v), AdjustedCount::ONE, at);
        }
        let end = start + Duration::from_secs(10_000);
        let a = &one.snapshot(Window::All, end)[0].data;
        let b = &many.snapshot(Window::All, end)[0].data;
        prop_assert_eq!(a.buckets(), b.buckets());
        prop_assert_eq!(a.to_hdr(&layout).unwrap().len(), values.len() as u64);
    }
}
