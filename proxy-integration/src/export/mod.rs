//! Span export: finished spans leave the request path through a bounded queue (`try_send`,
//! never waiting) and a background task ships them to the collector in OTLP/gRPC batches.

mod otlp;

pub use otlp::{ExporterHandle, spawn_exporter};

use opentelemetry_proto::tonic::trace::v1::Span;
use tokio::sync::mpsc;

/// The request path's end of the export queue.
#[derive(Debug, Clone)]
pub struct SpanSink {
    tx: mpsc::Sender<Span>,
}

impl SpanSink {
    /// Queues `span`; `false` when the queue is full (the span is dropped) or closed.
    pub fn try_send(&self, span: Span) -> bool {
        self.tx.try_send(span).is_ok()
    }
}
