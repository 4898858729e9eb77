//! The consuming side of the pipeline: one task moving accepted batches into the store and
//! every exporter's queue, or, when tail policies are set, to the tail-sampling shard tasks
//! (`tail_tasks.rs`), which deliver what they keep. With persistent export queues the
//! sender of a batch is answered once it is on disk: in the queues, or, while tail sampling
//! buffers it, in the ingest journal, whose segments go once every shard has decided and
//! delivered what they hold. With `fsync`, the batches already waiting when one is taken are
//! written and synced together (group commit) before their senders are answered.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Duration, Instant, MissedTickBehavior};

use super::channel::{Accepted, NotPersisted, SpanBatch};
use super::journal::Journal;
use super::sink::Sink;
use super::tail_tasks::TailRouter;
use crate::adaptive::AdaptiveController;
use crate::aggregate::Aggregator;
use crate::export::{ExportQueue, to_resource_spans};
use crate::receiver::otlp::convert_request;
use crate::store::TraceStore;
use crate::tail::TailShards;

/// Most batches written between two fsyncs with group commit.
const GROUP_COMMIT_MAX: usize = 64;

/// How often journal segments whose spans are all decided are deleted.
const JOURNAL_TICK: Duration = Duration::from_millis(100);

/// The consuming side, owned by the drain task.
#[derive(Debug)]
pub struct PipelineDrain {
    rx: mpsc::Receiver<Accepted>,
    /// The submitters' count of spans in the channel; taken batches are subtracted.
    pending: Arc<AtomicU64>,
    exporters: Vec<ExportQueue>,
    tail: Option<TailShards>,
    aggregator: Option<Arc<Aggregator>>,
    adaptive: Option<Arc<AdaptiveController>>,
    journal: Option<JournalState>,
    /// Whether delivered spans go into the store (not in pass-through).
    storing: bool,
    /// Whether persistent queues fsync once per group of waiting batches.
    group_commit: bool,
}

/// The ingest journal, with what the last run left in it.
#[derive(Debug)]
struct JournalState {
    journal: Journal,
    /// Batches the last run journaled, delivered again before anything new.
    replay: Vec<Accepted>,
}

impl PipelineDrain {
    pub(super) fn new(rx: mpsc::Receiver<Accepted>, pending: Arc<AtomicU64>) -> Self {
        Self {
            rx,
            pending,
            exporters: Vec::new(),
            tail: None,
            aggregator: None,
            adaptive: None,
            journal: None,
            storing: true,
            group_commit: false,
        }
    }

    /// Group commit for persistent queues with `fsync`: the batches waiting in the channel
    /// when one is taken (at most 64 in all) are written, synced once, then their
    /// senders answered, instead of one fsync per batch.
    pub fn with_group_commit(mut self, group_commit: bool) -> Self {
        self.group_commit = group_commit;
        self
    }

    /// Leaves the store out: delivered spans go to the exporters only (pass-through).
    pub fn without_store(mut self) -> Self {
        self.storing = false;
        self
    }

    /// Journals every batch tail sampling buffers before its sender is answered, and first
    /// delivers `replay` (what the last run journaled).
    pub fn with_journal(mut self, journal: Journal, replay: Vec<Accepted>) -> Self {
        self.journal = Some(JournalState { journal, replay });
        self
    }

    /// Counts sampled traces per operation for adaptive sampling.
    pub fn with_adaptive(mut self, adaptive: Arc<AdaptiveController>) -> Self {
        self.adaptive = Some(adaptive);
        self
    }

    /// Feeds every accepted span to `aggregator` before tail sampling, so RED metrics count
    /// all traffic (weighted by each span's adjusted count), not only what is kept.
    pub fn with_aggregator(mut self, aggregator: Arc<Aggregator>) -> Self {
        self.aggregator = Some(aggregator);
        self
    }

    /// Tail-samples every batch with `tail` (one task per shard) before delivering it.
    pub fn with_tail(mut self, tail: TailShards) -> Self {
        self.tail = Some(tail);
        self
    }

    /// Also hands every batch to these exporters' queues (never waiting on them). Pair with
    /// [`Pipeline::carrying_otlp`](super::Pipeline::carrying_otlp).
    pub fn with_exporters(mut self, exporters: Vec<ExportQueue>) -> Self {
        self.exporters = exporters;
        self
    }

    /// The next batch's spans; `None` once every sender is gone or the channel was closed
    /// and emptied.
    pub async fn recv(&mut self) -> Option<SpanBatch> {
        self.next().await.map(|batch| batch.spans)
    }

    /// The next batch with its OTLP form, if carried.
    pub async fn recv_accepted(&mut self) -> Option<Accepted> {
        self.next().await
    }

    /// The next batch from the channel, no longer counted as pending.
    async fn next(&mut self) -> Option<Accepted> {
        let batch = self.rx.recv().await?;
        Some(self.taken(batch))
    }

    /// The next batch if one is waiting already.
    fn try_next(&mut self) -> Option<Accepted> {
        let batch = self.rx.try_recv().ok()?;
        Some(self.taken(batch))
    }

    fn taken(&self, batch: Accepted) -> Accepted {
        let spans = u64::try_from(batch.span_count()).unwrap_or(u64::MAX);
        self.pending.fetch_sub(spans, Ordering::Relaxed);
        batch
    }

    /// Delivers batches until `shutdown` completes, then refuses new batches and delivers
    /// the ones already accepted before returning (dropping the exporters' queues, which
    /// lets them flush and stop). Tail-sampling shards decide what they still hold first.
    pub async fn run(mut self, store: Arc<TraceStore>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let sink = Sink {
            store: self.storing.then_some(store),
            exporters: std::mem::take(&mut self.exporters),
        };
        let mut tail = self
            .tail
            .take()
            .map(|shards| TailRouter::spawn(shards, &sink));
        let replay = self
            .journal
            .as_mut()
            .map(|j| std::mem::take(&mut j.replay))
            .unwrap_or_default();
        for batch in replay {
            // Already in the journal: not appended twice.
            let reply = self
                .deliver(&sink, tail.as_mut(), batch, false, false)
                .await;
            answer(reply, Ok(()));
        }
        let journaling = self.journal.is_some();
        let mut tick = tokio::time::interval(JOURNAL_TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                batch = self.next() => match batch {
                    Some(batch) => self.deliver_group(&sink, tail.as_mut(), batch).await,
                    None => break,
                },
                _ = tick.tick(), if journaling => self.truncate_journal(tail.as_ref()),
                () = &mut shutdown => break,
            }
        }
        self.rx.close();
        while let Some(batch) = self.next().await {
            self.deliver_group(&sink, tail.as_mut(), batch).await;
        }
        if let Some(tail) = tail {
            tail.finish().await;
        }
        // Every journaled span has been decided and delivered.
        if let Some(journal) = &mut self.journal {
            journal.journal.clear();
        }
    }

    /// Deletes the journal segments whose spans every shard has decided and delivered.
    fn truncate_journal(&mut self, tail: Option<&TailRouter>) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        let now = Instant::now();
        if let Some(decided) = tail.map_or(Some(now), |t| t.decided_through(now)) {
            journal.journal.truncate_through(decided);
        }
    }

    /// Journals the batch when tail sampling will buffer it; `Err` when that failed.
    fn journal(&mut self, batch: &mut Accepted, now: Instant) -> Result<(), NotPersisted> {
        let Some(journal) = &mut self.journal else {
            return Ok(());
        };
        // Tail-sampled spans are exported in a form rebuilt from the stored spans, so the
        // original OTLP is not needed past this point.
        let resource_spans = batch
            .otlp
            .take()
            .unwrap_or_else(|| to_resource_spans(&batch.spans));
        let payload = ExportTraceServiceRequest { resource_spans }.encode_to_vec();
        let spans = batch.spans.len() as u64;
        journal
            .journal
            .append(spans, &payload, now)
            .map_err(|error| {
                tracing::warn!(%error, spans, "ingest journal: write failed; sender told to retry");
                NotPersisted
            })
    }

    /// Delivers a batch and, with group commit, the batches already waiting behind it (up
    /// to [`GROUP_COMMIT_MAX`] in all) with one fsync of the persistent queues for all of them; then
    /// answers their senders.
    async fn deliver_group(
        &mut self,
        sink: &Sink,
        mut tail: Option<&mut TailRouter>,
        first: Accepted,
    ) {
        if !self.group_commit {
            let reply = self.deliver(sink, tail, first, true, false).await;
            answer(reply, Ok(()));
            return;
        }
        let mut replies = Vec::new();
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(batch) = next.take() {
            replies.extend(
                self.deliver(sink, tail.as_deref_mut(), batch, true, true)
                    .await,
            );
            taken += 1;
            if taken < GROUP_COMMIT_MAX {
                next = self.try_next();
            }
        }
        let synced = sink.sync();
        for reply in replies {
            answer(Some(reply), synced);
        }
    }

    /// Delivers one batch (journaling it first when tail sampling buffers it and `journal`
    /// is set; leaving the persistent queues' fsync to the caller when `deferred`); its
    /// sender and answer so far, if one waits.
    async fn deliver(
        &mut self,
        sink: &Sink,
        tail: Option<&mut TailRouter>,
        mut batch: Accepted,
        journal: bool,
        deferred: bool,
    ) -> Option<Reply> {
        let buffering = tail.as_ref().is_some_and(|tail| !tail.passes_through());
        if buffering || self.aggregator.is_some() || self.adaptive.is_some() {
            decode(&mut batch);
        }
        if let Some(aggregator) = &self.aggregator {
            aggregator.observe_batch(&batch.spans, Instant::now());
        }
        if let Some(adaptive) = &self.adaptive {
            adaptive.observe(&batch.spans);
        }
        let reply = batch.persisted.take();
        let persisted = match tail {
            Some(tail) if !tail.passes_through() => {
                // The spans wait in memory for their trace's decision; the journal (when
                // export queues persist) covers them until then.
                let now = Instant::now();
                let journaled = if journal {
                    self.journal(&mut batch, now)
                } else {
                    Ok(())
                };
                tail.route(batch.spans, now).await;
                journaled
            }
            _ if deferred => sink.deliver_deferred(batch),
            _ => sink.deliver(batch),
        };
        reply.map(|reply| (reply, persisted))
    }
}

/// A sender waiting for its batch's answer, and the answer so far.
type Reply = (
    oneshot::Sender<Result<(), NotPersisted>>,
    Result<(), NotPersisted>,
);

/// Answers a waiting sender: its batch's own outcome, failed too when `synced` failed.
fn answer(reply: Option<Reply>, synced: Result<(), NotPersisted>) {
    if let Some((sender, persisted)) = reply {
        // The receiver may have given up waiting; the batch is delivered either way.
        let _ = sender.send(persisted.and(synced));
    }
}

/// Turns a pass-through batch into spans, for when something needs them decoded after all:
/// a tail policy set arrived while the batch was on its way.
fn decode(batch: &mut Accepted) {
    if !batch.is_undecoded() {
        return;
    }
    let Some(encoded) = batch.encoded.take() else {
        return;
    };
    match ExportTraceServiceRequest::decode(encoded.request) {
        // The receiver's walk accepted it and found every span valid: all are kept.
        Ok(request) => batch.spans = convert_request(request).spans,
        // The walk accepts what prost decodes (tested); this would be a defect there.
        Err(error) => {
            tracing::error!(%error, spans = encoded.spans, "pass-through batch does not decode; dropped")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreConfig;
    use crate::export::ExportCounters;
    use crate::pipeline::{Pipeline, SubmitError};
    use crate::test_support::stored;

    #[tokio::test]
    async fn shutdown_drains_accepted_batches_then_refuses() {
        let (pipeline, drain) = Pipeline::bounded(8);
        for trace in 1..=3 {
            pipeline
                .try_submit(vec![stored(trace, 1, None, "a", "op")])
                .unwrap();
        }
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        // Shutdown is already signalled: the drain must still store what was accepted.
        drain.run(Arc::clone(&store), async {}).await;
        assert_eq!(store.stats().traces, 3);
        assert_eq!(pipeline.try_submit(Vec::new()), Err(SubmitError::Closed));
    }

    #[tokio::test]
    async fn a_persisting_submit_returns_only_once_the_disk_queue_has_the_batch() {
        use crate::export::persist::{self, PersistConfig, test_dir::TestDir};

        let dir = TestDir::new("drain-persist");
        let counters = Arc::new(ExportCounters::default());
        let config = PersistConfig {
            max_bytes: 400,
            ..PersistConfig::new(dir.path().to_owned())
        };
        let (writer, reader, _) = persist::open(&config, Arc::clone(&counters)).unwrap();
        let (queue, _rx) = ExportQueue::persistent(writer, reader);
        let (pipeline, drain) = Pipeline::bounded(8);
        let pipeline = pipeline.carrying_otlp(true).persisting(true);
        let spans = |trace| vec![stored(trace, 1, None, "a", "op")];

        // No drain is running: the sender must not be told "success" yet.
        let waiting = tokio::spawn({
            let pipeline = pipeline.clone();
            async move { pipeline.submit(spans(1)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "answered before the batch was on disk"
        );
        assert_eq!(counters.snapshot().queued_bytes, 0);

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        let drain = tokio::spawn(drain.with_exporters(vec![queue]).run(store, async {
            let _ = stopped.await;
        }));
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert!(
            counters.snapshot().queued_bytes > 0,
            "on disk once answered"
        );

        // Past the byte bound the sender is told to retry rather than told "success".
        let mut refused = false;
        for trace in 2..20 {
            if pipeline.submit(spans(trace)).await == Err(SubmitError::NotPersisted) {
                refused = true;
                break;
            }
        }
        assert!(refused, "a full persistent queue refuses");
        drop(stop);
        drain.await.unwrap();
    }

    #[tokio::test]
    async fn group_commit_answers_every_waiting_sender_once_their_batches_are_synced() {
        use crate::export::persist::{self, PersistConfig, test_dir::TestDir};

        let dir = TestDir::new("drain-group-commit");
        let counters = Arc::new(ExportCounters::default());
        let config = PersistConfig {
            fsync: true,
            ..PersistConfig::new(dir.path().to_owned())
        };
        let (writer, reader, _) = persist::open(&config, Arc::clone(&counters)).unwrap();
        let (queue, _rx) = ExportQueue::persistent(writer, reader);
        let (pipeline, drain) = Pipeline::bounded(64);
        let pipeline = pipeline.carrying_otlp(true).persisting(true);
        // Ten senders wait before the drain runs: their batches go to disk as one group.
        let waiting: Vec<_> = (1..=10)
            .map(|trace| {
                let pipeline = pipeline.clone();
                tokio::spawn(async move {
                    pipeline
                        .submit(vec![stored(trace, 1, None, "a", "op")])
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        let drain = drain
            .with_exporters(vec![queue])
            .with_group_commit(true)
            .run(store, async {
                let _ = stopped.await;
            });
        let drain = tokio::spawn(drain);
        for sender in waiting {
            assert_eq!(sender.await.unwrap(), Ok(()));
        }
        assert_eq!(counters.queued(), 10, "every batch is in the queue");
        drop(stop);
        drain.await.unwrap();
    }

    #[tokio::test]
    async fn every_exporter_gets_every_batch_and_a_full_one_does_not_block() {
        let (pipeline, drain) = Pipeline::bounded(8);
        let pipeline = pipeline.carrying_otlp(true);
        let roomy = Arc::new(ExportCounters::default());
        let tight = Arc::new(ExportCounters::default());
        let (roomy_queue, mut roomy_rx) = ExportQueue::bounded(100, Arc::clone(&roomy));
        let (tight_queue, _tight_rx) = ExportQueue::bounded(2, Arc::clone(&tight));
        let drain = drain.with_exporters(vec![roomy_queue, tight_queue]);
        for trace in 1..=3 {
            let spans = vec![
                stored(trace, 1, None, "a", "op"),
                stored(trace, 2, None, "a", "op"),
            ];
            pipeline.try_submit(spans).unwrap();
        }
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        drain.run(Arc::clone(&store), async {}).await;
        assert_eq!(store.stats().spans, 6);
        assert_eq!((roomy.queued(), roomy.snapshot().dropped), (6, 0));
        assert_eq!((tight.queued(), tight.snapshot().dropped), (2, 4));
        let mut received = 0;
        while let Some(item) = roomy_rx.recv().await {
            received += item.spans();
        }
        assert_eq!(received, 6, "queues close when the drain ends");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shard_tasks_decide_and_deliver_everything_they_hold_at_shutdown() {
        use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

        use crate::tail::{TailCounters, TailLimits, TailShards};
        use crate::test_support::policy_set;

        let policies = policy_set(
            "{decision_wait: 1h, policies: [{name: errors, type: status_code, \
             status_code: {status_codes: [ERROR]}}]}",
        );
        let counters = Arc::new(TailCounters::default());
        let shards = TailShards::new(policies, TailLimits::default(), counters.clone(), 2);
        let (pipeline, drain) = Pipeline::bounded(64);
        for trace in 1..=40u128 {
            let mut span = stored(trace, 2, Some(1), "a", "op");
            if trace % 4 == 0 {
                span.status.code = StatusCode::Error;
            }
            pipeline.try_submit(vec![span]).unwrap();
        }
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        drain
            .with_tail(shards)
            .run(Arc::clone(&store), async {})
            .await;
        assert_eq!(store.stats().traces, 10, "exactly the error traces");
        assert_eq!(TailCounters::get(&counters.traces_dropped), 30);
        assert_eq!(TailCounters::get(&counters.traces_buffered), 0);
    }

    fn encoded_request(spans: Vec<opentelemetry_proto::tonic::trace::v1::Span>) -> bytes::Bytes {
        crate::test_support::request("cart", spans)
            .encode_to_vec()
            .into()
    }

    #[tokio::test]
    async fn a_passthrough_batch_reaches_the_exporters_as_received_and_is_not_stored() {
        use crate::export::Queued;
        use crate::test_support::otlp_span;

        let (pipeline, drain) = Pipeline::bounded(8);
        let counters = Arc::new(ExportCounters::default());
        let (queue, mut rx) = ExportQueue::bounded(100, Arc::clone(&counters));
        let bytes = encoded_request(vec![
            otlp_span(&[1; 16], &[1; 8], &[], "a"),
            otlp_span(&[1; 16], &[2; 8], &[1; 8], "b"),
        ]);
        pipeline.submit_encoded(bytes, 2).await.unwrap();
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        drain
            .with_exporters(vec![queue])
            .without_store()
            .run(Arc::clone(&store), async {})
            .await;
        assert_eq!(store.stats().spans, 0, "pass-through stores nothing");
        let Some(Queued::Memory(item)) = rx.recv().await else {
            panic!("one item in memory")
        };
        assert_eq!(item.spans(), 2);
        assert!(item.resource_spans().is_empty(), "never decoded");
        assert_eq!(counters.queued(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_passthrough_batch_is_decoded_when_tail_policies_arrived_meanwhile() {
        use opentelemetry_proto::tonic::trace::v1::Status;

        use crate::tail::{TailCounters, TailLimits, TailShards};
        use crate::test_support::{otlp_span, policy_set};

        let policies = policy_set(
            "{decision_wait: 1h, policies: [{name: errors, type: status_code, \
             status_code: {status_codes: [ERROR]}}]}",
        );
        let counters = Arc::new(TailCounters::default());
        let shards = TailShards::new(policies, TailLimits::default(), counters.clone(), 2);
        let (pipeline, drain) = Pipeline::bounded(8);
        let mut failed = otlp_span(&[1; 16], &[1; 8], &[], "a");
        failed.status = Some(Status {
            code: 2,
            message: "boom".into(),
        });
        let bytes = encoded_request(vec![failed, otlp_span(&[2; 16], &[2; 8], &[], "b")]);
        pipeline.submit_encoded(bytes, 2).await.unwrap();
        let store = Arc::new(TraceStore::new(StoreConfig::default()));
        drain
            .with_tail(shards)
            .run(Arc::clone(&store), async {})
            .await;
        assert_eq!(
            store.stats().traces,
            1,
            "the error trace, decided on decoded spans"
        );
        assert_eq!(TailCounters::get(&counters.traces_dropped), 1);
    }
}
