//! The submitting side of the pipeline: a bounded channel that refuses rather than waits.
//!
//! When the collector exports, each batch also carries its spans in OTLP form: the original
//! `ResourceSpans` for OTLP receivers (so nothing the store does not keep is lost on the way
//! to a backend), or a conversion made here, on the receiver's task, for the others. In
//! pass-through ([`Pipeline::forwards_encoded`]) an OTLP/gRPC batch is only the request's
//! protobuf bytes and its span count ([`Encoded`]): nothing downstream needs it decoded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use bytes::Bytes;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use sampler::tail::TailPolicySet;
use tokio::sync::{mpsc, oneshot};

use super::counters::IngestCounters;
use super::drain::PipelineDrain;
use super::memory::MemoryLimiter;
use crate::export::{ExportQueue, to_resource_spans};
use crate::store::StoredSpan;

/// A group of validated spans submitted together (one export request's worth).
pub type SpanBatch = Vec<StoredSpan>;

/// One accepted batch on its way to the drain.
#[derive(Debug)]
pub struct Accepted {
    /// The spans for the store.
    pub spans: SpanBatch,
    /// The same spans in OTLP form for the exporters; `None` when nothing is exported.
    pub otlp: Option<Vec<ResourceSpans>>,
    /// The batch as the request it arrived in, for the exporters instead of `otlp` (which
    /// is then `None`). In pass-through `spans` is empty too: nothing was decoded.
    pub encoded: Option<Encoded>,
    /// Told once the batch is in every persistent export queue (or could not be written);
    /// `None` when the submitter does not wait.
    pub persisted: Option<oneshot::Sender<Result<(), NotPersisted>>>,
}

impl Accepted {
    /// A batch nobody waits on.
    pub fn new(spans: SpanBatch, otlp: Option<Vec<ResourceSpans>>) -> Self {
        Self {
            spans,
            otlp,
            encoded: None,
            persisted: None,
        }
    }

    /// A batch nobody waits on whose exporters get `encoded` as received; `spans` are its
    /// spans decoded, or empty (pass-through).
    pub fn encoded(spans: SpanBatch, encoded: Encoded) -> Self {
        Self {
            encoded: Some(encoded),
            ..Self::new(spans, None)
        }
    }

    /// Whether the spans are still only in `encoded` (a pass-through batch).
    pub fn is_undecoded(&self) -> bool {
        self.spans.is_empty() && self.encoded.as_ref().is_some_and(|e| e.spans > 0)
    }

    /// How many spans the batch holds.
    pub fn span_count(&self) -> usize {
        self.encoded.as_ref().map_or(self.spans.len(), |e| e.spans)
    }
}

/// An `ExportTraceServiceRequest` as received, checked by a walk of its encoding.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The request's protobuf bytes.
    pub request: Bytes,
    /// How many spans it holds (every one valid).
    pub spans: usize,
}

/// A persistent export queue was full or could not write the batch (counted as dropped
/// there); the sender should retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("batch not persisted")]
pub struct NotPersisted;

/// Why a batch was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The channel is at capacity; the caller should shed load.
    #[error("pipeline is full")]
    Full,
    /// The drain has stopped; the collector is shutting down.
    #[error("pipeline is shut down")]
    Closed,
    /// The collector is over its memory limit; the caller should shed load.
    #[error("collector is over its memory limit")]
    MemoryLimit,
    /// A persistent export queue is full or cannot write; the caller should retry later.
    #[error("a persistent export queue cannot take the batch")]
    NotPersisted,
    /// An exporter's queue is nearly full (its backend is slow or away); the caller should
    /// retry later rather than have the spans dropped there.
    #[error("an exporter's queue is full")]
    ExportBacklog,
}

/// The submitting side: cheap to clone, one per receiver.
#[derive(Debug, Clone)]
pub struct Pipeline {
    tx: mpsc::Sender<Accepted>,
    refused: Arc<AtomicU64>,
    counters: Arc<IngestCounters>,
    carry_otlp: bool,
    passthrough: bool,
    persistent: bool,
    tail: Option<Arc<ArcSwap<TailPolicySet>>>,
    memory: Arc<MemoryLimiter>,
    /// The exporters' queues, watched for back-pressure.
    exporters: Arc<[ExportQueue]>,
    /// Spans sent into the channel the drain has not taken yet: on their way to the
    /// exporters' queues, so they count against them.
    pending: Arc<AtomicU64>,
}

impl Pipeline {
    /// A pipeline holding at most `capacity` batches (at least one) in flight.
    pub fn bounded(capacity: usize) -> (Pipeline, PipelineDrain) {
        // `mpsc::channel` panics on zero; config validation rejects zero, this keeps the
        // constructor total.
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let pending = Arc::new(AtomicU64::new(0));
        let pipeline = Pipeline {
            tx,
            refused: Arc::new(AtomicU64::new(0)),
            counters: Arc::new(IngestCounters::default()),
            carry_otlp: false,
            passthrough: false,
            persistent: false,
            tail: None,
            memory: Arc::new(MemoryLimiter::default()),
            exporters: Arc::from(Vec::new()),
            pending: Arc::clone(&pending),
        };
        (pipeline, PipelineDrain::new(rx, pending))
    }

    /// Makes batches carry their OTLP form too (set when the collector has exporters,
    /// before the pipeline is cloned into receivers).
    pub fn carrying_otlp(mut self, carry: bool) -> Self {
        self.carry_otlp = carry;
        self
    }

    /// Lets OTLP/gRPC batches travel as their received bytes while nothing needs them
    /// decoded (set in pass-through, where neither the store nor aggregation runs).
    pub fn passing_through(mut self, passthrough: bool) -> Self {
        self.passthrough = passthrough;
        self
    }

    /// Makes [`submit`](Self::submit) and [`submit_otlp`](Self::submit_otlp) wait until the
    /// batch is in every persistent export queue (set when any exporter persists).
    pub fn persisting(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// Refuses batches while one of these exporters' in-memory queues is nearly full, so
    /// senders retry (UNAVAILABLE / 429) instead of having spans accepted and then dropped at
    /// the queue.
    pub fn with_export_pressure(mut self, exporters: Vec<ExportQueue>) -> Self {
        self.exporters = Arc::from(exporters);
        self
    }

    /// Refuses batches while `memory` says the collector is over its limit.
    pub fn with_memory_limiter(mut self, memory: Arc<MemoryLimiter>) -> Self {
        self.memory = memory;
        self
    }

    /// Leaves the OTLP form behind while `policies` tail-samples: kept spans are annotated
    /// and converted again after their decision, so a copy made on receipt would be waste.
    pub fn with_tail_policies(mut self, policies: Arc<ArcSwap<TailPolicySet>>) -> Self {
        self.tail = Some(policies);
        self
    }

    /// Whether batches must carry their OTLP form now.
    pub fn carries_otlp(&self) -> bool {
        self.carry_otlp
            && self
                .tail
                .as_ref()
                .is_none_or(|policies| policies.load().is_keep_all())
    }

    /// Whether a batch may be submitted as received bytes now (see
    /// [`submit_encoded`](Self::submit_encoded)): in pass-through, while tail sampling keeps
    /// every trace (a policy set may arrive at any time; the drain decodes what crosses the
    /// change).
    pub fn forwards_encoded(&self) -> bool {
        self.passthrough && self.carries_otlp()
    }

    /// Offers a batch without waiting; its OTLP form, when needed, is converted from it.
    pub fn try_submit(&self, spans: SpanBatch) -> Result<(), SubmitError> {
        let otlp = self.carries_otlp().then(|| to_resource_spans(&spans));
        self.send(Accepted::new(spans, otlp))
    }

    /// Offers a batch that arrived as OTLP without waiting; `otlp` must hold the same spans
    /// and is dropped when nothing is exported.
    pub fn try_submit_otlp(
        &self,
        spans: SpanBatch,
        otlp: Vec<ResourceSpans>,
    ) -> Result<(), SubmitError> {
        let otlp = self.carries_otlp().then_some(otlp);
        self.send(Accepted::new(spans, otlp))
    }

    /// What receivers call: [`try_submit`](Self::try_submit), then, when exporters persist,
    /// waits until the batch is in their queues on disk, so a success answered to the sender
    /// means the spans survive a crash.
    pub async fn submit(&self, spans: SpanBatch) -> Result<(), SubmitError> {
        let otlp = self.carries_otlp().then(|| to_resource_spans(&spans));
        self.send_durably(Accepted::new(spans, otlp)).await
    }

    /// [`try_submit_otlp`](Self::try_submit_otlp), waiting like [`submit`](Self::submit).
    pub async fn submit_otlp(
        &self,
        spans: SpanBatch,
        otlp: Vec<ResourceSpans>,
    ) -> Result<(), SubmitError> {
        let otlp = self.carries_otlp().then_some(otlp);
        self.send_durably(Accepted::new(spans, otlp)).await
    }

    /// A validated request with `spans` spans, waiting like [`submit`](Self::submit); for
    /// when [`forwards_encoded`](Self::forwards_encoded) says so.
    pub async fn submit_encoded(&self, request: Bytes, spans: usize) -> Result<(), SubmitError> {
        let encoded = Encoded { request, spans };
        self.send_durably(Accepted::encoded(Vec::new(), encoded))
            .await
    }

    /// `spans`, decoded from `request` (every span of it), waiting like
    /// [`submit`](Self::submit); the exporters get `request` as received instead of a copy
    /// of the decoded form re-encoded. Only while [`carries_otlp`](Self::carries_otlp).
    pub async fn submit_with_request(
        &self,
        spans: SpanBatch,
        request: Bytes,
    ) -> Result<(), SubmitError> {
        let encoded = Encoded {
            request,
            spans: spans.len(),
        };
        self.send_durably(Accepted::encoded(spans, encoded)).await
    }

    async fn send_durably(&self, mut batch: Accepted) -> Result<(), SubmitError> {
        if !self.persistent {
            return self.send(batch);
        }
        let (tx, rx) = oneshot::channel();
        batch.persisted = Some(tx);
        self.send(batch)?;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(NotPersisted)) => Err(SubmitError::NotPersisted),
            // The drain went away without an answer: the collector is stopping.
            Err(_) => Err(SubmitError::Closed),
        }
    }

    fn send(&self, batch: Accepted) -> Result<(), SubmitError> {
        if self.memory.is_over() {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(SubmitError::MemoryLimit);
        }
        let pending = self.pending.load(Ordering::Relaxed);
        if self.exporters.iter().any(|q| q.is_nearly_full(pending)) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(SubmitError::ExportBacklog);
        }
        // Counted before the drain can take it (it subtracts on receipt), undone if refused.
        let spans = u64::try_from(batch.span_count()).unwrap_or(u64::MAX);
        self.pending.fetch_add(spans, Ordering::Relaxed);
        self.tx.try_send(batch).map_err(|err| {
            self.pending.fetch_sub(spans, Ordering::Relaxed);
            self.refused.fetch_add(1, Ordering::Relaxed);
            match err {
                mpsc::error::TrySendError::Full(_) => SubmitError::Full,
                mpsc::error::TrySendError::Closed(_) => SubmitError::Closed,
            }
        })
    }

    /// Batches refused so far (full or closed), across all clones.
    pub fn refused_batches(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The receivers' counters, shared by every clone.
    pub fn counters(&self) -> &Arc<IngestCounters> {
        &self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::stored;

    #[test]
    fn refuses_when_full_without_waiting() {
        let (pipeline, _drain) = Pipeline::bounded(1);
        assert_eq!(
            pipeline.try_submit(vec![stored(1, 1, None, "a", "op")]),
            Ok(())
        );
        assert_eq!(
            pipeline.clone().try_submit(Vec::new()),
            Err(SubmitError::Full)
        );
        assert_eq!(pipeline.refused_batches(), 1);
    }

    #[tokio::test]
    async fn refuses_while_an_export_queue_is_nearly_full() {
        use crate::export::{ExportCounters, ExportItem};

        let counters = Arc::new(ExportCounters::default());
        let (queue, mut rx) = ExportQueue::bounded(10, Arc::clone(&counters));
        let (pipeline, _drain) = Pipeline::bounded(8);
        let pipeline = pipeline.with_export_pressure(vec![queue.clone()]);
        let spans = |n: u64| {
            let batch: Vec<StoredSpan> = (1..=n)
                .map(|t| stored(u128::from(t), 1, None, "a", "op"))
                .collect();
            ExportItem::new(Arc::new(to_resource_spans(&batch)))
        };
        queue.try_enqueue(spans(8)).unwrap();
        assert_eq!(
            pipeline.try_submit(Vec::new()),
            Ok(()),
            "8 of 10: room left"
        );
        queue.try_enqueue(spans(1)).unwrap();
        assert_eq!(
            pipeline.try_submit(Vec::new()),
            Err(SubmitError::ExportBacklog),
            "9 of 10: refused before the queue drops anything"
        );
        assert_eq!(pipeline.refused_batches(), 1);
        assert_eq!(counters.snapshot().dropped, 0);
        // The exporter takes a batch and frees its room: accepted again.
        let taken = rx.recv().await.unwrap();
        counters.release(taken.spans());
        assert_eq!(pipeline.try_submit(Vec::new()), Ok(()));
    }

    #[tokio::test]
    async fn spans_still_in_the_channel_count_against_the_export_queue() {
        use crate::export::ExportCounters;

        let counters = Arc::new(ExportCounters::default());
        let (queue, _rx) = ExportQueue::bounded(10, Arc::clone(&counters));
        let (pipeline, mut drain) = Pipeline::bounded(8);
        let pipeline = pipeline.with_export_pressure(vec![queue]);
        let spans = |n: u64| -> SpanBatch {
            (1..=n)
                .map(|t| stored(u128::from(t), 1, None, "a", "op"))
                .collect()
        };
        // The drain is behind: 9 spans wait in the channel, none in the queue yet.
        pipeline.try_submit(spans(9)).unwrap();
        assert_eq!(
            pipeline.try_submit(spans(1)),
            Err(SubmitError::ExportBacklog),
            "the queue would be nine tenths full once the drain catches up"
        );
        // Taken by the drain (and, here, not queued): room again.
        drain.recv().await.unwrap();
        assert_eq!(pipeline.try_submit(spans(1)), Ok(()));
    }

    #[tokio::test]
    async fn otlp_form_travels_only_when_carried() {
        let (pipeline, mut drain) = Pipeline::bounded(4);
        let spans = || vec![stored(1, 1, None, "a", "op")];
        pipeline.try_submit(spans()).unwrap();
        assert!(drain.recv_accepted().await.unwrap().otlp.is_none());

        let pipeline = pipeline.carrying_otlp(true);
        pipeline.try_submit(spans()).unwrap();
        let otlp = drain.recv_accepted().await.unwrap().otlp.unwrap();
        assert_eq!(otlp, to_resource_spans(&spans()));

        // While tail policies buffer, kept spans are converted after their decision.
        let policies = Arc::new(ArcSwap::from_pointee(TailPolicySet::keep_all()));
        let pipeline = pipeline.with_tail_policies(Arc::clone(&policies));
        assert!(pipeline.carries_otlp());
        let doc = serde_yaml_ng::from_str("policies: [{name: all, type: always_sample}]").unwrap();
        policies.store(Arc::new(TailPolicySet::from_document(doc).unwrap()));
        assert!(!pipeline.carries_otlp());
        pipeline.try_submit(spans()).unwrap();
        assert!(drain.recv_accepted().await.unwrap().otlp.is_none());
    }
}
