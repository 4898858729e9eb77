//! The OTLP/gRPC exporter task: batches by size and time, gzip on the wire to a collector on
//! another host, failures counted and dropped (the sidecar keeps no disk queue: the collector
//! is the durable hop).
//!
//! The task runs on another thread than the request path, so it must not be woken once per
//! span (a futex wake and two context switches each): it waits for the first span of a
//! batch, then collects the rest from the queue every [`FILL_TICK`] without waiting on it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::resource::v1::Resource;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tonic::client::Grpc;
use tonic::codec::CompressionEncoding;
use tonic::transport::{Channel, Endpoint};

use super::request::{Batch, EXPORT_PATH, Header, PreEncoded};
use super::{EncodedSpan, SpanSink};
use crate::config::ExportConfig;
use crate::stats::Stats;

/// How often a batch being filled takes what is queued.
const FILL_TICK: Duration = Duration::from_millis(10);

/// Stops the exporter task.
#[derive(Debug)]
pub struct ExporterHandle {
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl ExporterHandle {
    /// Sends every span queued so far (each export bounded by its timeout), then stops.
    pub async fn flush_and_stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "span exporter task ended abnormally");
        }
    }
}

/// Starts the exporter for spans of `resource`, dialling `endpoint` lazily (a collector that is
/// not up yet only costs the spans sent meanwhile).
pub fn spawn_exporter(
    endpoint: Endpoint,
    resource: Resource,
    config: ExportConfig,
    stats: Arc<Stats>,
) -> (SpanSink, ExporterHandle) {
    let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
    let gzip = !is_loopback(endpoint.uri().host());
    let mut client = Grpc::new(endpoint.connect_lazy());
    if gzip {
        // tonic compresses at level 6 with no way to choose: worth it only off-host.
        client = client.send_compressed(CompressionEncoding::Gzip);
    }
    let exporter = Exporter {
        client,
        header: Arc::new(Header::new(&resource)),
        config,
        stats,
    };
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(exporter.run(rx, shutdown));
    (SpanSink { tx }, ExporterHandle { task, stop })
}

/// Whether `host` (from the collector URI) is this machine: compressing for a loopback
/// connection spends CPU beside the request path and saves nothing.
fn is_loopback(host: Option<&str>) -> bool {
    host.is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

struct Exporter {
    client: Grpc<Channel>,
    header: Arc<Header>,
    config: ExportConfig,
    stats: Arc<Stats>,
}

impl Exporter {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<EncodedSpan>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut batch = Vec::with_capacity(self.config.max_batch);
        loop {
            // Wait for the first span of a batch, then fill until full or the interval ends.
            let first = tokio::select! {
                span = rx.recv() => span,
                _ = shutdown.wait_for(|stop| *stop) => None,
            };
            let Some(first) = first else {
                self.drain(&mut rx).await;
                break;
            };
            batch.push(first);
            let deadline = Instant::now() + self.config.flush_interval;
            let closed = self.fill(&mut batch, &mut rx, deadline).await;
            self.export(std::mem::take(&mut batch)).await;
            if closed {
                break;
            }
        }
    }

    /// Adds queued spans to `batch` until it is full or `deadline` passes, looking at the
    /// queue every [`FILL_TICK`]. Returns whether the queue is closed.
    async fn fill(
        &self,
        batch: &mut Vec<EncodedSpan>,
        rx: &mut mpsc::Receiver<EncodedSpan>,
        deadline: Instant,
    ) -> bool {
        loop {
            while batch.len() < self.config.max_batch {
                match rx.try_recv() {
                    Ok(span) => batch.push(span),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return true,
                }
            }
            let now = Instant::now();
            if batch.len() >= self.config.max_batch || now >= deadline {
                return false;
            }
            sleep_until(deadline.min(now + FILL_TICK)).await;
        }
    }

    /// Sends whatever is still queued, in full batches.
    async fn drain(&mut self, rx: &mut mpsc::Receiver<EncodedSpan>) {
        let mut batch = Vec::new();
        while let Ok(span) = rx.try_recv() {
            batch.push(span);
            if batch.len() == self.config.max_batch {
                self.export(std::mem::take(&mut batch)).await;
            }
        }
        if !batch.is_empty() {
            self.export(batch).await;
        }
    }

    async fn export(&mut self, spans: Vec<EncodedSpan>) {
        let count = spans.len() as u64;
        let batch = Batch {
            header: self.header.clone(),
            spans,
        };
        let mut request = tonic::Request::new(batch);
        request.set_timeout(self.config.timeout);
        let sent = match self.client.ready().await {
            Ok(()) => {
                let path = PathAndQuery::from_static(EXPORT_PATH);
                self.client.unary(request, path, PreEncoded).await
            }
            Err(e) => Err(tonic::Status::unavailable(format!(
                "collector unreachable: {e}"
            ))),
        };
        match sent {
            Ok(response) => {
                let rejected = response
                    .into_inner()
                    .partial_success
                    .map_or(0, |p| u64::try_from(p.rejected_spans).unwrap_or(0));
                Stats::add(&self.stats.spans_exported, count.saturating_sub(rejected));
                Stats::add(&self.stats.spans_export_failed, rejected);
            }
            Err(status) => {
                tracing::debug!(%status, spans = count, "span export failed; spans dropped");
                Stats::add(&self.stats.spans_export_failed, count);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_collectors_on_this_host_are_loopback() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "localhost",
            "LOCALHOST",
        ] {
            assert!(is_loopback(Some(host)), "{host}");
        }
        for host in ["10.0.0.7", "[fe80::1]", "collector", "otel.example.com"] {
            assert!(!is_loopback(Some(host)), "{host}");
        }
        assert!(!is_loopback(None));
    }
}
