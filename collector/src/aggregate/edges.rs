//! The service graph's edges: calls, failures and latency from a calling service to a called
//! one, with the same slots and windows as the latency series.

use std::collections::HashMap;
use std::sync::Arc;

use super::distribution::Distribution;
use super::key::{OVERFLOW, PassThroughBuild, series_hash};
use super::labels::{KindLabel, StatusClass};
use super::series::{Observation, Series};

/// One edge's data in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeSnapshot {
    /// The calling service (the client span's).
    pub client: Arc<str>,
    /// The called service (the server span's).
    pub server: Arc<str>,
    /// Calls (`requests`), failed calls (`errors`) and client-side latency, weighted.
    pub data: Distribution,
}

/// One edge and its labels.
#[derive(Debug)]
struct Edge {
    client: Arc<str>,
    server: Arc<str>,
    series: Series,
}

impl Edge {
    /// Whether this is the edge `client -> server`.
    fn is(&self, client: &Arc<str>, server: &Arc<str>) -> bool {
        let same = |a: &Arc<str>, b: &Arc<str>| Arc::ptr_eq(a, b) || **a == **b;
        same(&self.client, client) && same(&self.server, server)
    }
}

/// Every edge, capped; pairs of a new edge past the cap go to the overflow edge.
#[derive(Debug, Default)]
pub(super) struct EdgeTable {
    /// By [`edge_hash`]; the vector holds the (rare) edges that share a hash.
    edges: HashMap<u64, Vec<Edge>, PassThroughBuild>,
    len: usize,
    overflowed: u64,
}

fn edge_hash(client: &str, server: &str) -> u64 {
    series_hash(client, server, KindLabel::Client, StatusClass::Ok)
}

impl EdgeTable {
    /// Records one paired call. Services are usually the same `Arc`s call after call, so
    /// labels compare by pointer first and by text only when the pointers differ.
    pub(super) fn record(
        &mut self,
        client: &Arc<str>,
        server: &Arc<str>,
        obs: Observation,
        max_edges: usize,
        history: u64,
    ) {
        let hash = edge_hash(client, server);
        if let Some(edge) = self.find(hash, client, server) {
            edge.series.record(obs, history);
            return;
        }
        let (hash, client, server) = if self.len < max_edges {
            (hash, Arc::clone(client), Arc::clone(server))
        } else {
            self.overflowed += 1;
            let overflow = Arc::<str>::from(OVERFLOW);
            let hash = edge_hash(OVERFLOW, OVERFLOW);
            if let Some(edge) = self.find(hash, &overflow, &overflow) {
                edge.series.record(obs, history);
                return;
            }
            (hash, Arc::clone(&overflow), overflow)
        };
        let mut series = Series::default();
        series.record(obs, history);
        self.edges.entry(hash).or_default().push(Edge {
            client,
            server,
            series,
        });
        self.len += 1;
    }

    /// The edge `client -> server`, whose labels hash to `hash`.
    fn find(&mut self, hash: u64, client: &Arc<str>, server: &Arc<str>) -> Option<&mut Edge> {
        self.edges
            .get_mut(&hash)?
            .iter_mut()
            .find(|e| e.is(client, server))
    }

    /// Every edge in slots `first..` (`None`: since start).
    pub(super) fn snapshot(
        &mut self,
        first: Option<u64>,
        slot: u64,
        history: u64,
    ) -> Vec<EdgeSnapshot> {
        let out: Vec<EdgeSnapshot> = self
            .edges
            .values_mut()
            .flatten()
            .map(|edge| {
                edge.series.advance(slot, history);
                EdgeSnapshot {
                    client: Arc::clone(&edge.client),
                    server: Arc::clone(&edge.server),
                    data: match first {
                        Some(first) => edge.series.window(first),
                        None => edge.series.cumulative(),
                    },
                }
            })
            .collect();
        out
    }

    /// The edges held, as (client, server).
    pub(super) fn keys(&self) -> impl Iterator<Item = (Arc<str>, Arc<str>)> + '_ {
        self.edges
            .values()
            .flatten()
            .map(|e| (Arc::clone(&e.client), Arc::clone(&e.server)))
    }

    /// Pairs that went to the overflow edge.
    pub(super) fn overflowed(&self) -> u64 {
        self.overflowed
    }
}
