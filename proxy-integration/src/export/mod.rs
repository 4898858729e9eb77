//! Span export: finished spans, already encoded, leave the request path through a bounded
//! queue (`try_send`, never waiting) and a background task ships them to the collector in
//! OTLP/gRPC batches.

mod otlp;
mod request;
pub(crate) mod wire;

pub use otlp::{ExporterHandle, spawn_exporter};

use tokio::sync::mpsc;

/// One finished span, encoded as an OTLP `Span` message.
#[derive(Debug)]
pub struct EncodedSpan(Vec<u8>);

impl EncodedSpan {
    /// Wraps the encoding of one OTLP `Span`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The encoded message.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The request path's end of the export queue.
#[derive(Debug, Clone)]
pub struct SpanSink {
    tx: mpsc::Sender<EncodedSpan>,
}

impl SpanSink {
    /// Queues `span`; `false` when the queue is full (the span is dropped) or closed.
    pub fn try_send(&self, span: EncodedSpan) -> bool {
        self.tx.try_send(span).is_ok()
    }
}
