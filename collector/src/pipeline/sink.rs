//! Where delivered spans go: the store (unless the collector passes through) and, without
//! waiting, every exporter's queue. The drain and every tail-sampling shard task hold one
//! (cloned), so shards deliver in parallel.

use std::sync::Arc;

use super::channel::{Accepted, NotPersisted};
use crate::export::{ExportItem, ExportQueue, to_resource_spans};
use crate::store::{StoredSpan, TraceStore};

/// The store and the exporters' queues.
#[derive(Debug, Clone)]
pub(super) struct Sink {
    /// `None` in pass-through.
    pub store: Option<Arc<TraceStore>>,
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
        self.deliver_with(batch, true)
    }

    /// [`deliver`](Self::deliver) leaving persistent queues' fsync to [`sync`](Self::sync)
    /// (group commit): the batch is durable only once that returns `Ok`.
    pub fn deliver_deferred(&self, batch: Accepted) -> Result<(), NotPersisted> {
        self.deliver_with(batch, false)
    }

    /// Syncs every persistent queue; `Err` when one could not.
    pub fn sync(&self) -> Result<(), NotPersisted> {
        let mut synced = Ok(());
        for queue in &self.exporters {
            if queue.sync().is_err() {
                synced = Err(NotPersisted);
            }
        }
        synced
    }

    fn deliver_with(&self, batch: Accepted, sync: bool) -> Result<(), NotPersisted> {
        let mut persisted = Ok(());
        if !self.exporters.is_empty() && batch.span_count() > 0 {
            let item = match batch.encoded {
                // The request as received (every span valid) goes out as it is.
                Some(encoded) => ExportItem::encoded(encoded.request, encoded.spans),
                None => ExportItem::new(Arc::new(
                    batch
                        .otlp
                        .unwrap_or_else(|| to_resource_spans(&batch.spans)),
                )),
            };
            for queue in &self.exporters {
                // A full queue drops the batch for that exporter and counts it; the store
                // and the other exporters still get it. A persistent one also tells the
                // sender, who retries (the others may then get the batch twice).
                let queued = if sync {
                    queue.try_enqueue(item.clone())
                } else {
                    queue.try_enqueue_deferred(item.clone())
                };
                if queued.is_err() && queue.is_persistent() {
                    persisted = Err(NotPersisted);
                }
            }
        }
        if let Some(store) = &self.store {
            store.insert(batch.spans);
        }
        persisted
    }
}
