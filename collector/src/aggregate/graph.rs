//! The service graph: client spans paired with the server spans they caused.
//!
//! A call shows up as a client span in the caller and a server span in the callee whose
//! parent is that client span (OpenTelemetry, B3 multi), or, for Zipkin's shared spans, a
//! server span with the client span's own id. Either half may arrive first, from different
//! batches and receivers, so each waits in a pairing table keyed by (trace id, span id) for
//! the pairing window (expired in sweeps, up to an eighth of it late: see `pairing`). The table is sharded by trace id (both halves of a call share
//! it; each shard also holds its own edge table, merged on read, so pairing takes one lock)
//! and bounded: past `max_pending_spans` the oldest waiting half is dropped. Halves that
//! never pair (calls to uninstrumented services, sampled on one side only) expire and are
//! counted. Each half waits under one key: a client under its own id, a server under its
//! parent's id (its own id when it has no parent); a Zipkin shared server is found by a client
//! under the client's parent id and recognised by its span id equal to the client's. A paired
//! call counts on the edge `client service -> server service` with the
//! client span's adjusted count and the client's duration (what the caller waited); it failed
//! when either span has an error status.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tokio::time::Instant;

use super::AggregateError;
use super::batch::ByShard;
use super::config::AggregateConfig;
use super::distribution::{Distribution, Layout};
use super::edges::EdgeSnapshot;
use super::labels::is_error;
use super::pairing::{Half, PairKey, PairShard, Side};
use super::series::Observation;
use super::weight::AdjustedCount;
use super::window::{Clock, Window};
use crate::store::StoredSpan;

/// Counters of the service graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphStats {
    /// Halves waiting for their partner now.
    pub pending_spans: usize,
    /// Calls paired since start.
    pub paired_calls: u64,
    /// Halves that waited the whole pairing window in vain.
    pub expired_spans: u64,
    /// Halves dropped unpaired because the table was full.
    pub evicted_spans: u64,
    /// Distinct edges held now.
    pub edges: usize,
    /// Calls counted on the overflow edge because the edge cap was reached.
    pub overflow_calls: u64,
}

/// Calls between services, from client/server span pairs.
#[derive(Debug)]
pub struct ServiceGraph {
    shards: Box<[Mutex<PairShard>]>,
    layout: Layout,
    clock: Clock,
    history: u64,
    window: Duration,
    max_pending_per_shard: usize,
    max_edges: usize,
}

/// Whether a span can be half of a call.
fn pairable(span: &StoredSpan) -> bool {
    matches!(span.kind, SpanKind::Client | SpanKind::Server)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Poisoning leaves counters, not broken invariants: keep going.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ServiceGraph {
    /// An empty graph with these settings; slots count from `start`.
    pub fn new(config: &AggregateConfig, start: Instant) -> Result<Self, AggregateError> {
        config.validate()?;
        // A power of two, so a shard is picked with a mask.
        let shards = config.shards.next_power_of_two();
        Ok(Self {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            layout: Layout::new()?,
            clock: Clock::new(start, config.slot()),
            history: config.history_slots(),
            window: config.pairing_window(),
            max_pending_per_shard: config.max_pending_spans.div_ceil(shards).max(1),
            max_edges: config.max_edges,
        })
    }

    /// Offers a span: client and server spans wait for (or complete) their pair.
    pub fn observe(&self, span: &StoredSpan, weight: AdjustedCount, now: Instant) {
        if pairable(span)
            && let Some(shard) = self.shard(span)
        {
            let slot = self.clock.slot_of(now);
            self.observe_locked(&mut lock(shard), span, weight, now, slot);
        }
    }

    /// Offers spans received together at `now`, taking each shard's lock once.
    pub fn observe_batch(&self, spans: &[(&StoredSpan, AdjustedCount)], now: Instant) {
        let mask = self.shards.len() - 1;
        let slot = self.clock.slot_of(now);
        let by_shard = ByShard::new(spans, self.shards.len(), |(span, _)| {
            pairable(span).then_some(usize::from(span.trace_id[15]) & mask)
        });
        for (shard, positions) in by_shard.groups() {
            let Some(shard) = self.shards.get(shard) else {
                continue;
            };
            let mut shard = lock(shard);
            for &(span, weight) in positions.iter().filter_map(|&p| spans.get(p as usize)) {
                self.observe_locked(&mut shard, span, weight, now, slot);
            }
        }
    }

    /// The shard of a span's trace.
    fn shard(&self, span: &StoredSpan) -> Option<&Mutex<PairShard>> {
        self.shards
            .get(usize::from(span.trace_id[15]) & (self.shards.len() - 1))
    }

    fn observe_locked(
        &self,
        shard: &mut PairShard,
        span: &StoredSpan,
        weight: AdjustedCount,
        now: Instant,
        slot: u64,
    ) {
        let side = if span.kind == SpanKind::Client {
            Side::Client
        } else {
            Side::Server
        };
        let half = Half {
            side,
            span_id: span.span_id,
            service: Arc::clone(&span.service),
            nanos: span.duration_nanos(),
            error: is_error(span),
            weight,
        };
        let own = PairKey(span.trace_id, span.span_id);
        let parent = span.parent_span_id.map(|p| PairKey(span.trace_id, p));
        shard.expire(now, self.window);
        let partner = match side {
            // Its server waits under this client's id (or, shared, under its parent's id).
            Side::Client => shard
                .take(own, Side::Server, None)
                .or_else(|| parent.and_then(|p| shard.take(p, Side::Server, Some(span.span_id)))),
            // Its client waits under this server's parent id (or, shared, under its own id).
            Side::Server => parent
                .and_then(|p| shard.take(p, Side::Client, None))
                .or_else(|| shard.take(own, Side::Client, None)),
        };
        let Some(partner) = partner else {
            shard.wait(
                half,
                parent.filter(|_| side == Side::Server).unwrap_or(own),
                now,
                self.window,
                self.max_pending_per_shard,
            );
            return;
        };
        shard.paired += 1;
        let (client, server) = match side {
            Side::Client => (half, partner),
            Side::Server => (partner, half),
        };
        let obs = Observation {
            slot,
            bucket: self.layout.bucket(client.nanos),
            seconds: client.nanos as f64 / 1e9,
            weight: client.weight,
            error: client.error || server.error,
        };
        shard.edges.record(
            &client.service,
            &server.service,
            obs,
            self.max_edges,
            self.history,
        );
    }

    /// Every edge in `window` as read at `now`, merged over the shards, sorted.
    pub fn snapshot(&self, window: Window, now: Instant) -> Vec<EdgeSnapshot> {
        let first = (window != Window::All).then(|| self.clock.first_slot(window, now));
        let slot = self.clock.slot_of(now);
        let mut merged: BTreeMap<(Arc<str>, Arc<str>), Distribution> = BTreeMap::new();
        for shard in self.shards.iter() {
            for edge in lock(shard).edges.snapshot(first, slot, self.history) {
                merged
                    .entry((edge.client, edge.server))
                    .or_default()
                    .add(&edge.data);
            }
        }
        merged
            .into_iter()
            .map(|((client, server), data)| EdgeSnapshot {
                client,
                server,
                data,
            })
            .collect()
    }

    /// The graph's counters (expiring what is due at `now` first).
    pub fn stats(&self, now: Instant) -> GraphStats {
        let mut stats = GraphStats::default();
        let mut edges = BTreeSet::new();
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            shard.expire(now, self.window);
            stats.pending_spans += shard.pending();
            stats.paired_calls += shard.paired;
            stats.expired_spans += shard.expired;
            stats.evicted_spans += shard.evicted;
            stats.overflow_calls += shard.edges.overflowed();
            edges.extend(shard.edges.keys());
        }
        stats.edges = edges.len();
        stats
    }

    /// The HDR layout of the edges' latency.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
}
