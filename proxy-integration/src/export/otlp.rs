//! The OTLP/gRPC exporter task: batches by size and time, gzip on the wire, failures counted
//! and dropped (the sidecar keeps no disk queue: the collector is the durable hop).

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};
use tonic::codec::CompressionEncoding;
use tonic::transport::{Channel, Endpoint};

use super::SpanSink;
use crate::config::ExportConfig;
use crate::stats::Stats;

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
    let client =
        TraceServiceClient::new(endpoint.connect_lazy()).send_compressed(CompressionEncoding::Gzip);
    let exporter = Exporter {
        client,
        resource,
        config,
        stats,
    };
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(exporter.run(rx, shutdown));
    (SpanSink { tx }, ExporterHandle { task, stop })
}

struct Exporter {
    client: TraceServiceClient<Channel>,
    resource: Resource,
    config: ExportConfig,
    stats: Arc<Stats>,
}

impl Exporter {
    async fn run(mut self, mut rx: mpsc::Receiver<Span>, mut shutdown: watch::Receiver<bool>) {
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
            let mut closed = false;
            while batch.len() < self.config.max_batch {
                match timeout_at(deadline, rx.recv()).await {
                    Ok(Some(span)) => batch.push(span),
                    Ok(None) => {
                        closed = true;
                        break;
                    }
                    Err(_elapsed) => break,
                }
            }
            self.export(std::mem::take(&mut batch)).await;
            if closed {
                break;
            }
        }
    }

    /// Sends whatever is still queued, in full batches.
    async fn drain(&mut self, rx: &mut mpsc::Receiver<Span>) {
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

    async fn export(&mut self, spans: Vec<Span>) {
        let count = spans.len() as u64;
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(self.resource.clone()),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "meshtrace-sidecar".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..InstrumentationScope::default()
                    }),
                    spans,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        };
        let mut request = tonic::Request::new(request);
        request.set_timeout(self.config.timeout);
        match self.client.export(request).await {
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
