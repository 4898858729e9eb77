//! The bounded queue between the pipeline drain and one exporter task: in memory, or on disk
//! when the exporter has a queue directory (`persist`).
//!
//! In memory the bound is in spans, counted from enqueue until the exporter has sent or given
//! up the spans, so memory held by an exporter (queued and in flight) never exceeds it. On
//! disk the bound is in bytes of unacknowledged records. A batch that does not fit is dropped
//! and counted; [`ExportQueue::try_enqueue`] never waits on the network.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use tokio::sync::mpsc;

use super::counters::ExportCounters;
use super::encode::encode_request;
use super::persist::{AppendError, DiskItem, DiskReader, DiskWriter};

/// One accepted batch in OTLP form: decoded spans, shared so every exporter of a collector
/// holds the same allocation, or (pass-through) the received request's bytes.
#[derive(Debug, Clone)]
pub struct ExportItem {
    /// Empty for an item made from bytes.
    resource_spans: Arc<Vec<ResourceSpans>>,
    spans: u64,
    /// The request encoding: made once for every persistent queue the item goes to, or
    /// given.
    encoded: Arc<OnceLock<Bytes>>,
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
            encoded: Arc::default(),
        }
    }

    /// An encoded `ExportTraceServiceRequest` holding `spans` spans, sent as it is.
    pub fn encoded(request: Bytes, spans: usize) -> Self {
        Self {
            resource_spans: Arc::default(),
            spans: u64::try_from(spans).unwrap_or(u64::MAX),
            encoded: Arc::new(OnceLock::from(request)),
        }
    }

    /// The item as an encoded `ExportTraceServiceRequest`, encoded on first use.
    pub(super) fn encoded_request(&self) -> &Bytes {
        self.encoded
            .get_or_init(|| encode_request(std::slice::from_ref(self)))
    }

    /// The encoding, when the item was made from one or has been encoded already.
    pub(super) fn encoding(&self) -> Option<&Bytes> {
        self.encoded.get()
    }

    /// The resource spans (none for an item made from bytes).
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
    /// The queue holds its bound of spans (or bytes, on disk).
    #[error("export queue is full")]
    Full,
    /// The exporter task has stopped.
    #[error("exporter has stopped")]
    Closed,
    /// The persistent queue could not write the batch (logged with the cause).
    #[error("persistent export queue could not write")]
    Write,
}

/// The enqueueing side; cheap to clone.
#[derive(Debug, Clone)]
pub struct ExportQueue {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Memory {
        tx: mpsc::UnboundedSender<ExportItem>,
        capacity: u64,
        counters: Arc<ExportCounters>,
    },
    Disk(Arc<DiskWriter>),
}

/// The exporter task's side.
#[derive(Debug)]
pub struct QueueReceiver {
    inner: ReceiverInner,
}

#[derive(Debug)]
enum ReceiverInner {
    Memory(mpsc::UnboundedReceiver<ExportItem>),
    Disk(DiskReader),
}

/// One queued batch as the exporter task receives it.
#[derive(Debug)]
pub enum Queued {
    /// From memory: the shared spans.
    Memory(ExportItem),
    /// From disk: encoded spans and their acknowledgement ticket.
    Disk(DiskItem),
}

impl Queued {
    /// How many spans the batch holds.
    pub fn spans(&self) -> u64 {
        match self {
            Queued::Memory(item) => item.spans(),
            Queued::Disk(item) => item.spans,
        }
    }
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
            inner: Inner::Memory {
                tx,
                capacity: u64::try_from(capacity_spans).unwrap_or(u64::MAX),
                counters,
            },
        };
        let rx = QueueReceiver {
            inner: ReceiverInner::Memory(rx),
        };
        (queue, rx)
    }

    /// The two sides of an opened persistent queue.
    pub fn persistent(writer: DiskWriter, reader: DiskReader) -> (ExportQueue, QueueReceiver) {
        let queue = ExportQueue {
            inner: Inner::Disk(Arc::new(writer)),
        };
        let rx = QueueReceiver {
            inner: ReceiverInner::Disk(reader),
        };
        (queue, rx)
    }

    /// Whether an in-memory queue, with `pending` more spans on their way to it (accepted,
    /// not yet handed over by the pipeline drain), holds nine tenths of its bound or more:
    /// receivers then refuse new data (UNAVAILABLE / 429) rather than accept spans the queue
    /// would drop. A persistent queue refuses through its sender's answer instead, so it is
    /// never "nearly full" here.
    pub fn is_nearly_full(&self, pending: u64) -> bool {
        match &self.inner {
            Inner::Memory {
                capacity, counters, ..
            } => {
                let held = counters.queued().saturating_add(pending);
                held.saturating_mul(10) >= capacity.saturating_mul(9)
            }
            Inner::Disk(_) => false,
        }
    }

    /// Whether items are on disk once [`try_enqueue`](Self::try_enqueue) returns `Ok`.
    pub fn is_persistent(&self) -> bool {
        matches!(self.inner, Inner::Disk(_))
    }

    /// Queues `item` without waiting on the network (a persistent queue writes it first); a
    /// full or closed queue drops it and counts the spans.
    pub fn try_enqueue(&self, item: ExportItem) -> Result<(), EnqueueError> {
        self.enqueue(item, true)
    }

    /// [`try_enqueue`](Self::try_enqueue), but a persistent queue with `fsync` leaves the
    /// sync to [`sync`](Self::sync): the item is durable once that returns `Ok`.
    pub fn try_enqueue_deferred(&self, item: ExportItem) -> Result<(), EnqueueError> {
        self.enqueue(item, false)
    }

    /// Waits until every item a persistent queue took is on the disk (with `fsync`; a no-op
    /// otherwise and in memory).
    pub fn sync(&self) -> Result<(), EnqueueError> {
        match &self.inner {
            Inner::Memory { .. } => Ok(()),
            Inner::Disk(writer) => writer.sync().map_err(|error| {
                tracing::warn!(%error, "persistent export queue: fsync failed; senders told to retry");
                EnqueueError::Write
            }),
        }
    }

    fn enqueue(&self, item: ExportItem, sync: bool) -> Result<(), EnqueueError> {
        let spans = item.spans;
        let (tx, capacity, counters) = match &self.inner {
            Inner::Memory {
                tx,
                capacity,
                counters,
            } => (tx, *capacity, counters),
            Inner::Disk(writer) => {
                let payload = item.encoded_request();
                let appended = if sync {
                    writer.append(spans, payload)
                } else {
                    writer.append_deferred(spans, payload)
                };
                return appended.map_err(|error| match error {
                    AppendError::Full => EnqueueError::Full,
                    AppendError::Io(error) => {
                        tracing::warn!(%error, spans, "persistent export queue: write failed; batch dropped");
                        EnqueueError::Write
                    }
                });
            }
        };
        if !counters.try_reserve(spans, capacity) {
            counters.add_dropped(spans);
            return Err(EnqueueError::Full);
        }
        tx.send(item).map_err(|_| {
            counters.release(spans);
            counters.add_dropped(spans);
            EnqueueError::Closed
        })
    }
}

impl QueueReceiver {
    /// The next item; `None` once every [`ExportQueue`] is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<Queued> {
        match &mut self.inner {
            ReceiverInner::Memory(rx) => rx.recv().await.map(Queued::Memory),
            ReceiverInner::Disk(reader) => reader.recv().await.map(Queued::Disk),
        }
    }

    /// The reader of a persistent queue, to acknowledge what it handed out.
    pub fn disk(&self) -> Option<&DiskReader> {
        match &self.inner {
            ReceiverInner::Memory(_) => None,
            ReceiverInner::Disk(reader) => Some(reader),
        }
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
