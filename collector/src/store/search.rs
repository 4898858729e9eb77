//! Answering a [`TraceQuery`] from the indexes.
//!
//! With a service (what the Jaeger UI always sends) the candidates are that service's spans:
//! of the operation when one is given, else of at least `duration_min` when that is given
//! (the duration index), else all of them; each in the start-time window, taken from the
//! index's range. Time-ordered candidates are walked newest first and the walk stops once
//! `limit` traces matched. Tags are checked on the candidates (see `index`). Without a
//! service every trace is scanned.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::sync::Arc;

use super::index::{Key, ServiceIndex};
use super::inner::Inner;
use super::{StoredSpan, Trace, TraceQuery};

/// Traces matching `query`, newest (latest start) first, at most `query.limit`.
pub(super) fn find(inner: &Inner, query: &TraceQuery) -> Vec<Trace> {
    if inverted(query.start_min, query.start_max)
        || inverted(query.duration_min, query.duration_max)
    {
        return Vec::new();
    }
    let limit = match query.limit {
        0 => usize::MAX,
        limit => limit,
    };
    let ids = match query.service.as_deref() {
        None => scan(inner, query, limit),
        Some(service) => inner
            .index
            .service(service)
            .map(|svc| indexed(svc, query, limit))
            .unwrap_or_default(),
    };
    let mut hits: Vec<_> = ids
        .iter()
        .filter_map(|id| inner.traces.get_key_value(id))
        .collect();
    hits.sort_unstable_by_key(|(_, entry)| Reverse((entry.start_unix_nano, entry.seq)));
    hits.into_iter()
        .map(|(id, entry)| entry.to_trace(id))
        .collect()
}

/// A `min > max` window matches nothing (and would make a B-tree range panic).
fn inverted(min: Option<u64>, max: Option<u64>) -> bool {
    matches!((min, max), (Some(min), Some(max)) if min > max)
}

fn indexed(svc: &ServiceIndex, query: &TraceQuery, limit: usize) -> Vec<[u8; 16]> {
    let window = key_range(query.start_min, query.start_max);
    if let Some(operation) = query.operation.as_deref() {
        let Some(op) = svc.operations.get(operation) else {
            return Vec::new();
        };
        return newest_first(
            op.by_start.range(window).rev().map(|(_, s)| s),
            query,
            limit,
        );
    }
    if query.duration_min.is_some() {
        let durations = key_range(query.duration_min, query.duration_max);
        let mut spans: Vec<&Arc<StoredSpan>> = svc
            .by_duration
            .range(durations)
            .map(|(_, span)| span)
            .filter(|span| query.matches(span))
            .collect();
        spans.sort_unstable_by_key(|span| Reverse(span.start_unix_nano));
        return newest_first(spans.into_iter(), query, limit);
    }
    newest_first(
        svc.by_start.range(window).rev().map(|(_, s)| s),
        query,
        limit,
    )
}

/// The keys of every span whose indexed value is within `[min, max]`.
fn key_range(min: Option<u64>, max: Option<u64>) -> std::ops::RangeInclusive<Key> {
    (min.unwrap_or(0), 0)..=(max.unwrap_or(u64::MAX), u64::MAX)
}

/// Distinct trace ids of the matching spans, in the order given, up to `limit`.
fn newest_first<'a>(
    spans: impl Iterator<Item = &'a Arc<StoredSpan>>,
    query: &TraceQuery,
    limit: usize,
) -> Vec<[u8; 16]> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for span in spans {
        if ids.len() >= limit {
            break;
        }
        if query.matches(span) && seen.insert(span.trace_id) {
            ids.push(span.trace_id);
        }
    }
    ids
}

/// Every trace with a matching span, by its latest matching start, up to `limit`.
fn scan(inner: &Inner, query: &TraceQuery, limit: usize) -> Vec<[u8; 16]> {
    let mut hits: Vec<(u64, u64, [u8; 16])> = inner
        .traces
        .iter()
        .filter_map(|(id, entry)| {
            entry
                .spans
                .iter()
                .filter(|(_, span)| query.matches(span))
                .map(|(_, span)| span.start_unix_nano)
                .max()
                .map(|start| (start, entry.seq, *id))
        })
        .collect();
    hits.sort_unstable_by_key(|&(start, seq, _)| Reverse((start, seq)));
    hits.into_iter().take(limit).map(|(_, _, id)| id).collect()
}
