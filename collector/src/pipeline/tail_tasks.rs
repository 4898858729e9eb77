//! Tail sampling on every core: one task per shard of the trace buffer. The drain routes
//! each span to its trace's shard; each shard task takes batches, decides traces when their
//! deadline passes (its own tick) and delivers what it keeps straight to the sink.
//!
//! Each routed batch carries when the drain took it in (and journaled it, when the ingest
//! journal is on). Each shard publishes how far it has decided in those terms: every batch
//! it accepted at `t` has all its traces decided by `t` plus the longest decision wait it has
//! seen (deadlines only move sooner), so once a tick at or past that time has delivered what
//! it kept, the batch is done. The drain deletes journal segments behind the slowest shard.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// A batch for a shard, with when the drain took it in.
type Routed = (Instant, SpanBatch);

/// How far one shard has got, as an intake time ([`stamp`]; 0: nothing yet).
#[derive(Debug, Default)]
struct Progress {
    /// Every batch taken in at or before this has all its traces decided and delivered.
    decided: AtomicU64,
}

/// The drain's side: routes spans to the shard tasks.
#[derive(Debug)]
pub(super) struct TailRouter {
    senders: Vec<mpsc::Sender<Routed>>,
    tasks: Vec<JoinHandle<()>>,
    policies: Arc<ArcSwap<TailPolicySet>>,
    counters: Arc<TailCounters>,
    routed: Vec<SpanBatch>,
    /// The clock origin of the intake times.
    epoch: Instant,
    progress: Vec<Arc<Progress>>,
    /// Per shard, the intake time ([`stamp`]) of the last batch routed to it.
    last_routed: Vec<u64>,
}

impl TailRouter {
    /// Spawns one task per shard of `shards`, each delivering into its clone of `sink`.
    pub fn spawn(shards: TailShards, sink: &Sink) -> Self {
        let policies = Arc::clone(shards.policies());
        let counters = Arc::clone(shards.counters());
        let epoch = Instant::now();
        let mut progress = Vec::new();
        let (senders, tasks) = shards
            .into_shards()
            .into_iter()
            .map(|shard| {
                let (tx, rx) = mpsc::channel(SHARD_CAPACITY);
                let shared = Arc::new(Progress::default());
                progress.push(Arc::clone(&shared));
                let watch = Watch {
                    epoch,
                    policies: Arc::clone(&policies),
                    progress: shared,
                };
                (tx, tokio::spawn(run_shard(shard, rx, sink.clone(), watch)))
            })
            .unzip::<_, _, Vec<_>, Vec<_>>();
        let routed = senders.iter().map(|_| Vec::new()).collect();
        let last_routed = vec![0; senders.len()];
        Self {
            senders,
            tasks,
            policies,
            counters,
            routed,
            epoch,
            progress,
            last_routed,
        }
    }

    /// True when no shard buffers a trace and the current set keeps every trace: the drain
    /// may deliver straight through. (Spans still queued for a shard are decided there.)
    pub fn passes_through(&self) -> bool {
        TailCounters::get(&self.counters.traces_buffered) == 0 && self.policies.load().is_keep_all()
    }

    /// Hands each span to its trace's shard, waiting while a shard's queue is full; `taken`
    /// is when the drain took the batch in.
    pub async fn route(&mut self, spans: SpanBatch, taken: Instant) {
        let count = self.senders.len();
        for span in spans {
            let index = shard_of(&span.trace_id, count);
            if let Some(routed) = self.routed.get_mut(index) {
                routed.push(span);
            }
        }
        let at = stamp(self.epoch, taken);
        for ((tx, routed), last) in self
            .senders
            .iter()
            .zip(&mut self.routed)
            .zip(&mut self.last_routed)
        {
            if !routed.is_empty() {
                *last = at;
                // A send fails only when the shard task is gone (it panicked); its spans
                // are lost with it.
                let _ = tx.send((taken, std::mem::take(routed))).await;
            }
        }
    }

    /// A time such that every batch routed at or before it has been decided and delivered by
    /// its shards: `now` when no shard has anything routed left undecided, `None` while a
    /// shard has decided none of what it was given. Call from the drain's task, between
    /// routings.
    pub fn decided_through(&self, now: Instant) -> Option<Instant> {
        let slowest = self
            .progress
            .iter()
            .zip(&self.last_routed)
            .map(|(p, &last)| (p.decided.load(Ordering::Acquire), last))
            .filter(|&(decided, last)| decided < last)
            .map(|(decided, _)| decided)
            .min();
        match slowest {
            None => Some(now),
            Some(0) => None,
            Some(stamp) => Some(self.epoch + Duration::from_nanos(stamp - 1)),
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

/// What a shard task needs to publish its progress.
struct Watch {
    epoch: Instant,
    policies: Arc<ArcSwap<TailPolicySet>>,
    progress: Arc<Progress>,
}

/// An intake time as one more than the nanoseconds since `epoch`, so 0 can mean "none".
fn stamp(epoch: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch).as_nanos())
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
}

async fn run_shard(
    mut tail: TailProcessor,
    mut rx: mpsc::Receiver<Routed>,
    sink: Sink,
    watch: Watch,
) {
    let mut tick = tokio::time::interval(TAIL_TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut kept = Vec::new();
    // Batches accepted and not yet surely decided: (taken in, accepted), oldest first.
    let mut undecided: VecDeque<(Instant, Instant)> = VecDeque::new();
    let mut longest_wait = Duration::ZERO;
    loop {
        let now = tokio::select! {
            batch = rx.recv() => match batch {
                Some((taken, spans)) => {
                    let now = Instant::now();
                    longest_wait = longest_wait.max(watch.policies.load().settings().decision_wait);
                    tail.accept(spans, now, &mut kept);
                    undecided.push_back((taken, now));
                    now
                }
                None => break,
            },
            _ = tick.tick() => {
                let now = Instant::now();
                tail.expire(now, &mut kept);
                now
            }
        };
        sink.deliver_spans(std::mem::take(&mut kept));
        // Delivered: batches accepted a whole decision wait ago are done.
        let mut decided = None;
        while let Some(&(taken, accepted)) = undecided.front() {
            if accepted + longest_wait > now {
                break;
            }
            decided = Some(taken);
            undecided.pop_front();
        }
        if let Some(taken) = decided {
            watch
                .progress
                .decided
                .store(stamp(watch.epoch, taken), Ordering::Release);
        }
    }
    // Whatever still waits for a decision is decided now.
    tail.flush(Instant::now(), &mut kept);
    sink.deliver_spans(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreConfig;
    use crate::store::TraceStore;
    use crate::tail::{TailCounters, TailLimits};
    use crate::test_support::{policy_set, stored};

    #[tokio::test(start_paused = true)]
    async fn shards_publish_how_far_they_have_decided() {
        let policies = policy_set("{decision_wait: 1s, policies: []}");
        let shards = TailShards::new(
            policies,
            TailLimits::default(),
            Arc::new(TailCounters::default()),
            2,
        );
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        let sink = Sink {
            store: Some(Arc::clone(&store)),
            exporters: Vec::new(),
        };
        let mut router = TailRouter::spawn(shards, &sink);
        assert_eq!(router.decided_through(Instant::now()), Some(Instant::now()));

        let taken = Instant::now();
        let spans = (1..=8u128).map(|t| stored(t, 1, None, "a", "op")).collect();
        router.route(spans, taken).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            router
                .decided_through(Instant::now())
                .is_none_or(|d| d < taken),
            "undecided within the decision wait"
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
        let now = Instant::now();
        assert_eq!(
            router.decided_through(now),
            Some(now),
            "all decided and delivered"
        );
        assert_eq!(store.stats().traces, 8);
        router.finish().await;
    }
}
