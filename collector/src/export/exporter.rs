//! One exporter task: take queued batches, group them up to a size or a time limit, encode
//! once, and send with retries until the backend accepts or the retry budget is spent.
//!
//! Up to `concurrency` requests are in flight at once (one latency-bound request at a time
//! caps an exporter well below what the receivers accept); the next batch fills meanwhile.
//! The task ends when every [`ExportQueue`] is dropped and the queue is empty: whatever is
//! pending is sent first, which is how shutdown flushes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::config::ExporterConfig;
use super::counters::{ExportCounters, ExportSnapshot};
use super::encode::encode_request;
use super::queue::{ExportItem, ExportQueue, QueueReceiver};
use super::retry::{AttemptError, Backoff};
use super::transport::Transport;

/// A running exporter: its name, counters and task. Its queue was handed out by [`spawn`].
#[derive(Debug)]
pub struct ExporterHandle {
    url: String,
    counters: Arc<ExportCounters>,
    task: JoinHandle<()>,
}

/// Starts the exporter `config` describes; returns the queue to feed it and its handle.
pub fn spawn(config: ExporterConfig) -> (ExportQueue, ExporterHandle) {
    let counters = Arc::new(ExportCounters::default());
    let (queue, rx) = ExportQueue::bounded(config.queue_spans, Arc::clone(&counters));
    let url = config.url.clone();
    let task = tokio::spawn(run(config, rx, Arc::clone(&counters)));
    (
        queue,
        ExporterHandle {
            url,
            counters,
            task,
        },
    )
}

impl ExporterHandle {
    /// The exporter's URL as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The exporter's counters.
    pub fn counters(&self) -> Arc<ExportCounters> {
        Arc::clone(&self.counters)
    }

    /// Waits until `deadline` for the task to send what is queued (its queues must be
    /// dropped already); then stops it and counts whatever was left as failed.
    pub async fn shutdown(self, deadline: Instant) -> ExportSnapshot {
        let mut task = self.task;
        match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(url = %self.url, %error, "exporter task failed"),
            Err(_) => {
                task.abort();
                // Wait for the cancellation so no request finishes after the count below.
                let _ = task.await;
                let left = self.counters.queued();
                self.counters.release(left);
                self.counters.add_failed(left);
                tracing::warn!(url = %self.url, spans = left, "exporter flush deadline passed; spans lost");
            }
        }
        self.counters.snapshot()
    }
}

async fn run(config: ExporterConfig, mut rx: QueueReceiver, counters: Arc<ExportCounters>) {
    let config = Arc::new(config);
    let transport = Transport::new(&config);
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    // Dropping the set (when shutdown aborts this task) aborts the requests in flight.
    let mut in_flight = JoinSet::new();
    tracing::info!(url = %config.url, protocol = config.protocol.label(), "exporter started");
    while let Some(first) = rx.recv().await {
        let batch = fill(first, &mut rx, config.batch_spans, config.batch_timeout).await;
        let spans = batch.iter().map(ExportItem::spans).sum::<u64>();
        let request = encode_request(&batch);
        // The queued allocations are not needed once encoded.
        drop(batch);
        // The semaphore is never closed, so this only waits for a free slot.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let (config, transport, counters) = (
            Arc::clone(&config),
            transport.clone(),
            Arc::clone(&counters),
        );
        in_flight.spawn(async move {
            send(&config, &transport, request, spans, &counters).await;
            counters.release(spans);
            drop(slot);
        });
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    tracing::info!(url = %config.url, "exporter stopped");
}

/// Gathers items after `first` until `max_spans` or `timeout`, or the queue closes.
async fn fill(
    first: ExportItem,
    rx: &mut QueueReceiver,
    max_spans: usize,
    timeout: Duration,
) -> Vec<ExportItem> {
    let max_spans = u64::try_from(max_spans).unwrap_or(u64::MAX);
    let deadline = Instant::now() + timeout;
    let mut spans = first.spans();
    let mut batch = vec![first];
    while spans < max_spans {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(item)) => {
                spans += item.spans();
                batch.push(item);
            }
            Ok(None) | Err(_) => break,
        }
    }
    batch
}

/// Sends one request until it is delivered, refused for good, or out of retry budget.
async fn send(
    config: &ExporterConfig,
    transport: &Transport,
    request: bytes::Bytes,
    spans: u64,
    counters: &ExportCounters,
) {
    let body = match transport.prepare(&request) {
        Ok(body) => body,
        Err(error) => return give_up(config, counters, spans, &error),
    };
    let started = Instant::now();
    let mut backoff = Backoff::new(config.retry);
    loop {
        let error = match transport.send(body.clone()).await {
            Ok(delivered) => {
                let rejected = delivered.rejected.min(spans);
                counters.add_sent(spans - rejected);
                if rejected > 0 {
                    counters.add_failed(rejected);
                    tracing::warn!(url = %config.url, rejected, "backend rejected spans");
                }
                return;
            }
            Err(error) => error,
        };
        let AttemptError::Retryable {
            reason,
            retry_after,
        } = &error
        else {
            return give_up(config, counters, spans, &error);
        };
        let Some(delay) = backoff.next_delay(started.elapsed(), *retry_after) else {
            return give_up(config, counters, spans, &error);
        };
        tracing::debug!(url = %config.url, %reason, ?delay, "export failed; retrying");
        counters.add_retry();
        tokio::time::sleep(delay).await;
    }
}

fn give_up(config: &ExporterConfig, counters: &ExportCounters, spans: u64, error: &AttemptError) {
    counters.add_failed(spans);
    tracing::warn!(url = %config.url, spans, ?error, "export failed; spans given up");
}
