//! Tail sampling on every core: one task per shard of the trace buffer. The drain routes
//! each span to its trace's shard; each shard task takes batches, decides traces when their
//! deadline passes (its own tick) and delivers what it keeps straight to the sink.

use std::sync::Arc;

use arc_swap::ArcSwap;
use sampler::tail::TailPolicySet;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant, MissedTickBehavior};

use super::channel::SpanBatch;
use super::sink::Sink;
use crate::tail::{TailCounters, TailProcessor, TailShards, shard_of};

/// How often a shard checks its buffered traces for their decision deadline.
const TAIL_TICK: Duration = Duration::from_millis(100);

/// Batches waiting for one shard; a full shard makes the drain wait, and so the pipeline
/// channel fill and receivers refuse.
const SHARD_CAPACITY: usize = 64;

/// The drain's side: routes spans to the shard tasks.
#[derive(Debug)]
pub(super) struct TailRouter {
    senders: Vec<mpsc::Sender<SpanBatch>>,
    tasks: Vec<JoinHandle<()>>,
    policies: Arc<ArcSwap<TailPolicySet>>,
    counters: Arc<TailCounters>,
    routed: Vec<SpanBatch>,
}

impl TailRouter {
    /// Spawns one task per shard of `shards`, each delivering into its clone of `sink`.
    pub fn spawn(shards: TailShards, sink: &Sink) -> Self {
        let policies = Arc::clone(shards.policies());
        let counters = Arc::clone(shards.counters());
        let (senders, tasks) = shards
            .into_shards()
            .into_iter()
            .map(|shard| {
                let (tx, rx) = mpsc::channel(SHARD_CAPACITY);
                (tx, tokio::spawn(run_shard(shard, rx, sink.clone())))
            })
            .unzip::<_, _, Vec<_>, Vec<_>>();
        let routed = senders.iter().map(|_| Vec::new()).collect();
        Self {
            senders,
            tasks,
            policies,
            counters,
            routed,
        }
    }

    /// True when no shard buffers a trace and the current set keeps every trace: the drain
    /// may deliver straight through. (Spans still queued for a shard are decided there.)
    pub fn passes_through(&self) -> bool {
        TailCounters::get(&self.counters.traces_buffered) == 0 && self.policies.load().is_keep_all()
    }

    /// Hands each span to its trace's shard, waiting while a shard's queue is full.
    pub async fn route(&mut self, spans: SpanBatch) {
        let count = self.senders.len();
        for span in spans {
            let index = shard_of(&span.trace_id, count);
            if let Some(routed) = self.routed.get_mut(index) {
                routed.push(span);
            }
        }
        for (tx, routed) in self.senders.iter().zip(&mut self.routed) {
            if !routed.is_empty() {
                // A send fails only when the shard task is gone (it panicked); its spans
                // are lost with it.
                let _ = tx.send(std::mem::take(routed)).await;
            }
        }
    }

    /// Closes every shard's queue and waits until each has decided and delivered all it held.
    pub async fn finish(self) {
        drop(self.senders);
        for task in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(%err, "tail sampling shard failed");
            }
        }
    }
}

async fn run_shard(mut tail: TailProcessor, mut rx: mpsc::Receiver<SpanBatch>, sink: Sink) {
    let mut tick = tokio::time::interval(TAIL_TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut kept = Vec::new();
    loop {
        tokio::select! {
            batch = rx.recv() => match batch {
                Some(spans) => tail.accept(spans, Instant::now(), &mut kept),
                None => break,
            },
            _ = tick.tick() => tail.expire(Instant::now(), &mut kept),
        }
        sink.deliver_spans(std::mem::take(&mut kept));
    }
    // Whatever still waits for a decision is decided now.
    tail.flush(Instant::now(), &mut kept);
    sink.deliver_spans(kept);
}
