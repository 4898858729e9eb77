//! The bounded, never-blocking queue between the pipeline drain and one exporter task.
//!
//! The bound is in spans, counted from enqueue until the exporter has sent or given up the
//! spans, so memory held by an exporter (queued and in flight) never exceeds it. A batch that
//! does not fit is dropped and counted; [`ExportQueue::try_enqueue`] never waits.

use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use tokio::sync::mpsc;

use super::counters::ExportCounters;

/// One accepted batch in OTLP form. The spans are shared, so every exporter of a collector
/// holds the same allocation.
#[derive(Debug, Clone)]
pub struct ExportItem {
    resource_spans: Arc<Vec<ResourceSpans>>,
    spans: u64,
}

impl ExportItem {
    /// Wraps `resource_spans`, counting their spans once.
    pub fn new(resource_spans: Arc<Vec<ResourceSpans>>) -> Self {
        let spans = resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum::<usize>();
        Self {
            resource_spans,
            spans: u64::try_from(spans).unwrap_or(u64::MAX),
        }
    }

    /// The resource spans.
    pub fn resource_spans(&self) -> &[ResourceSpans] {
        &self.resource_spans
    }

    /// How many spans the item holds.
    pub fn spans(&self) -> u64 {
        self.spans
    }
}

/// Why an item was not queued; either way it was counted as dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnqueueError {
    /// The queue holds its bound of spans.
    #[error("export queue is full")]
    Full,
    /// The exporter task has stopped.
    #[error("exporter has stopped")]
    Closed,
}

/// The enqueueing side; cheap to clone.
#[derive(Debug, Clone)]
pub struct ExportQueue {
    tx: mpsc::UnboundedSender<ExportItem>,
    capacity: u64,
    counters: Arc<ExportCounters>,
}

/// The exporter task's side.
#[derive(Debug)]
pub struct QueueReceiver {
    rx: mpsc::UnboundedReceiver<ExportItem>,
}

impl ExportQueue {
    /// A queue holding at most `capacity_spans` spans, counting into `counters`.
    pub fn bounded(
        capacity_spans: usize,
        counters: Arc<ExportCounters>,
    ) -> (ExportQueue, QueueReceiver) {
        // The channel itself is unbounded; `try_reserve` on the span count is the bound.
        let (tx, rx) = mpsc::unbounded_channel();
        let queue = ExportQueue {
            tx,
            capacity: u64::try_from(capacity_spans).unwrap_or(u64::MAX),
            counters,
        };
        (queue, QueueReceiver { rx })
    }

    /// Queues `item` without waiting; a full or closed queue drops it and counts the spans.
    pub fn try_enqueue(&self, item: ExportItem) -> Result<(), EnqueueError> {
        let spans = item.spans;
        if !self.counters.try_reserve(spans, self.capacity) {
            self.counters.add_dropped(spans);
            return Err(EnqueueError::Full);
        }
        self.tx.send(item).map_err(|_| {
            self.counters.release(spans);
            self.counters.add_dropped(spans);
            EnqueueError::Closed
        })
    }
}

impl QueueReceiver {
    /// The next item; `None` once every [`ExportQueue`] is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<ExportItem> {
        self.rx.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::convert::to_resource_spans;
    use crate::test_support::stored;

    fn item(spans: u64) -> ExportItem {
        let spans: Vec<_> = (1..=spans).map(|s| stored(1, s, None, "a", "op")).collect();
        ExportItem::new(Arc::new(to_resource_spans(&spans)))
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts_without_waiting() {
        let counters = Arc::new(ExportCounters::default());
        let (queue, mut rx) = ExportQueue::bounded(5, Arc::clone(&counters));
        assert_eq!(queue.try_enqueue(item(3)), Ok(()));
        assert_eq!(queue.try_enqueue(item(3)), Err(EnqueueError::Full));
        assert_eq!(queue.try_enqueue(item(2)), Ok(()));
        let s = counters.snapshot();
        assert_eq!((s.queued, s.dropped), (5, 3));
        // Receiving does not free room: the spans are in flight until released.
        assert_eq!(rx.recv().await.map(|i| i.spans()), Some(3));
        assert_eq!(counters.queued(), 5);
        counters.release(3);
        assert_eq!(queue.try_enqueue(item(3)), Ok(()));
    }

    #[test]
    fn closed_queue_drops_and_counts() {
        let counters = Arc::new(ExportCounters::default());
        let (queue, rx) = ExportQueue::bounded(5, Arc::clone(&counters));
        drop(rx);
        assert_eq!(queue.try_enqueue(item(2)), Err(EnqueueError::Closed));
        let s = counters.snapshot();
        assert_eq!((s.queued, s.dropped), (0, 2));
    }
}
