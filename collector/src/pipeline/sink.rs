//! Where delivered spans go: the store and, without waiting, every exporter's queue. The
//! drain and every tail-sampling shard task hold one (cloned), so shards deliver in parallel.

use std::sync::Arc;

use super::channel::{Accepted, NotPersisted};
use crate::export::{ExportItem, ExportQueue, to_resource_spans};
use crate::store::{StoredSpan, TraceStore};

/// The store and the exporters' queues.
#[derive(Debug, Clone)]
pub(super) struct Sink {
    pub store: Arc<TraceStore>,
    pub exporters: Vec<ExportQueue>,
}

impl Sink {
    /// Delivers tail-sampled spans: their OTLP form is rebuilt (they were annotated).
    pub fn deliver_spans(&self, spans: Vec<StoredSpan>) {
        if spans.is_empty() {
            return;
        }
        // Nobody waits on a decided trace; a persistent queue that refuses it counts it.
        let _ = self.deliver(Accepted::new(spans, None));
    }

    /// Delivers a batch as accepted; `Err` when a persistent queue did not take it.
    pub fn deliver(&self, batch: Accepted) -> Result<(), NotPersisted> {
        let mut persisted = Ok(());
        if !self.exporters.is_empty() && !batch.spans.is_empty() {
            let otlp = batch
                .otlp
                .unwrap_or_else(|| to_resource_spans(&batch.spans));
            let item = ExportItem::new(Arc::new(otlp));
            for queue in &self.exporters {
                // A full queue drops the batch for that exporter and counts it; the store
                // and the other exporters still get it. A persistent one also tells the
                // sender, who retries (the others may then get the batch twice).
                if queue.try_enqueue(item.clone()).is_err() && queue.is_persistent() {
                    persisted = Err(NotPersisted);
                }
            }
        }
        self.store.insert(batch.spans);
        persisted
    }
}
