//! The hand-off between receivers and the store.
//!
//! Receivers call [`Pipeline::try_submit`], which never waits: when the bounded channel is
//! full the batch is refused (and counted) so the receiver can answer `UNAVAILABLE` and the
//! sender retries later. One [`PipelineDrain`] task moves batches into the store; on shutdown
//! it closes the channel and stores everything already accepted. [`IngestCounters`] travel
//! with the pipeline so every receiver counts what it accepts and refuses in one place.

mod counters;

pub use counters::{IngestCounters, Receiver, Refusal, Sample};

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

use crate::store::{StoredSpan, TraceStore};

/// A group of validated spans submitted together (one export request's worth).
pub type SpanBatch = Vec<StoredSpan>;

/// Why a batch was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The channel is at capacity; the caller should shed load.
    #[error("pipeline is full")]
    Full,
    /// The drain has stopped; the collector is shutting down.
    #[error("pipeline is shut down")]
    Closed,
}

/// The submitting side: cheap to clone, one per receiver.
#[derive(Debug, Clone)]
pub struct Pipeline {
    tx: mpsc::Sender<SpanBatch>,
    refused: Arc<AtomicU64>,
    counters: Arc<IngestCounters>,
}

/// The consuming side, owned by the drain task.
#[derive(Debug)]
pub struct PipelineDrain {
    rx: mpsc::Receiver<SpanBatch>,
}

impl Pipeline {
    /// A pipeline holding at most `capacity` batches (at least one) in flight.
    pub fn bounded(capacity: usize) -> (Pipeline, PipelineDrain) {
        // `mpsc::channel` panics on zero; config validation rejects zero, this keeps the
        // constructor total.
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let pipeline = Pipeline {
            tx,
            refused: Arc::new(AtomicU64::new(0)),
            counters: Arc::new(IngestCounters::default()),
        };
        (pipeline, PipelineDrain { rx })
    }

    /// Offers a batch without waiting.
    pub fn try_submit(&self, batch: SpanBatch) -> Result<(), SubmitError> {
        self.tx.try_send(batch).map_err(|err| {
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

impl PipelineDrain {
    /// The next batch; `None` once every sender is gone or the channel was closed and emptied.
    pub async fn recv(&mut self) -> Option<SpanBatch> {
        self.rx.recv().await
    }

    /// Moves batches into `store` until `shutdown` completes, then refuses new batches and
    /// stores the ones already accepted before returning.
    pub async fn run(mut self, store: Arc<TraceStore>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                batch = self.rx.recv() => match batch {
                    Some(batch) => {
                        store.insert(batch);
                    }
                    None => return,
                },
                () = &mut shutdown => break,
            }
        }
        self.rx.close();
        while let Some(batch) = self.rx.recv().await {
            store.insert(batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreConfig;
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
}
