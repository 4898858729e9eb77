//! The export backend of a bench run: an in-process OTLP/gRPC `TraceService` on
//! 127.0.0.1:0 that counts the spans it is sent and answers success (gzip accepted, as the
//! collector's exporter sends it).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

/// Largest request the sink decodes (the collector's exporter sends 512-span batches).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// What the sink has received.
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// Spans in every request received.
    pub spans: AtomicU64,
    /// Requests received.
    pub requests: AtomicU64,
    /// When the last request arrived.
    pub last: Mutex<Option<Instant>>,
}

impl SinkCounters {
    /// Spans received so far.
    pub fn spans(&self) -> u64 {
        self.spans.load(Ordering::Relaxed)
    }

    /// When the last request arrived, if any did.
    pub fn last(&self) -> Option<Instant> {
        self.last.lock().ok().and_then(|last| *last)
    }
}

/// A running sink; stopped when dropped.
#[derive(Debug)]
pub struct Sink {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it has received.
    pub counters: Arc<SinkCounters>,
    _stop: oneshot::Sender<()>,
}

/// Starts a sink on `addr`.
pub async fn start(addr: SocketAddr) -> std::io::Result<Sink> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let counters = Arc::new(SinkCounters::default());
    let service = TraceServiceServer::new(Counting(counters.clone()))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    let (stop, stopped) = oneshot::channel::<()>();
    let incoming = TcpListenerStream::new(listener);
    tokio::spawn(async move {
        let served = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            })
            .await;
        if let Err(err) = served {
            tracing::warn!(%err, "bench sink stopped");
        }
    });
    Ok(Sink {
        addr,
        counters,
        _stop: stop,
    })
}

/// The `TraceService` that counts.
struct Counting(Arc<SinkCounters>);

#[tonic::async_trait]
impl TraceService for Counting {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let spans: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.0.spans.fetch_add(spans as u64, Ordering::Relaxed);
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.0.last.lock() {
            *last = Some(Instant::now());
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}
