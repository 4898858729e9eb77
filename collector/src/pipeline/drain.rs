//! The consuming side of the pipeline: one task moving accepted batches into the store and
//! every exporter's queue, or, when tail policies are set, to the tail-sampling shard tasks
//! (`tail_tasks.rs`), which deliver what they keep.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::channel::{Accepted, SpanBatch};
use super::sink::Sink;
use super::tail_tasks::TailRouter;
use crate::adaptive::AdaptiveController;
use crate::aggregate::Aggregator;
use crate::export::ExportQueue;
use crate::store::TraceStore;
use crate::tail::TailShards;

/// The consuming side, owned by the drain task.
#[derive(Debug)]
pub struct PipelineDrain {
    rx: mpsc::Receiver<Accepted>,
    exporters: Vec<ExportQueue>,
    tail: Option<TailShards>,
    aggregator: Option<Arc<Aggregator>>,
    adaptive: Option<Arc<AdaptiveController>>,
}

impl PipelineDrain {
    pub(super) fn new(rx: mpsc::Receiver<Accepted>) -> Self {
        Self {
            rx,
            exporters: Vec::new(),
            tail: None,
            aggregator: None,
            adaptive: None,
        }
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
        self.rx.recv().await.map(|batch| batch.spans)
    }

    /// The next batch with its OTLP form, if carried.
    pub async fn recv_accepted(&mut self) -> Option<Accepted> {
        self.rx.recv().await
    }

    /// Delivers batches until `shutdown` completes, then refuses new batches and delivers
    /// the ones already accepted before returning (dropping the exporters' queues, which
    /// lets them flush and stop). Tail-sampling shards decide what they still hold first.
    pub async fn run(mut self, store: Arc<TraceStore>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let sink = Sink {
            store,
            exporters: std::mem::take(&mut self.exporters),
        };
        let mut tail = self
            .tail
            .take()
            .map(|shards| TailRouter::spawn(shards, &sink));
        loop {
            tokio::select! {
                batch = self.rx.recv() => match batch {
                    Some(batch) => self.deliver(&sink, tail.as_mut(), batch).await,
                    None => break,
                },
                () = &mut shutdown => break,
            }
        }
        self.rx.close();
        while let Some(batch) = self.rx.recv().await {
            self.deliver(&sink, tail.as_mut(), batch).await;
        }
        if let Some(tail) = tail {
            tail.finish().await;
        }
    }

    async fn deliver(&self, sink: &Sink, tail: Option<&mut TailRouter>, batch: Accepted) {
        if let Some(aggregator) = &self.aggregator {
            aggregator.observe_batch(&batch.spans, Instant::now());
        }
        if let Some(adaptive) = &self.adaptive {
            adaptive.observe(&batch.spans);
        }
        match tail {
            Some(tail) if !tail.passes_through() => tail.route(batch.spans).await,
            _ => sink.deliver(batch),
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shard_tasks_decide_and_deliver_everything_they_hold_at_shutdown() {
        use arc_swap::ArcSwap;
        use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
        use sampler::tail::{TailPolicyDocument, TailPolicySet};

        use crate::tail::{TailCounters, TailLimits, TailShards};

        let doc: TailPolicyDocument = serde_yaml_ng::from_str(
            "{decision_wait: 1h, policies: [{name: errors, type: status_code, \
             status_code: {status_codes: [ERROR]}}]}",
        )
        .unwrap();
        let policies = Arc::new(ArcSwap::from_pointee(
            TailPolicySet::from_document(doc).unwrap(),
        ));
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
}
