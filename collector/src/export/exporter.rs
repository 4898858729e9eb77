//! One exporter task: take queued batches, group them up to a size or a time limit, encode
//! once, and send with retries until the backend accepts or the retry budget is spent.
//!
//! Up to `concurrency` requests are in flight at once (one latency-bound request at a time
//! caps an exporter well below what the receivers accept); the next batch fills meanwhile.
//! The task ends when every [`ExportQueue`] is dropped and the queue is empty: whatever is
//! pending is sent first, which is how shutdown flushes. A persistent queue's records are
//! acknowledged once sent or given up; what is unsent at the deadline stays on disk for the
//! next start.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use bytes::{Bytes, BytesMut};

use super::config::ExporterConfig;
use super::counters::{ExportCounters, ExportSnapshot};
use super::encode::encode_request;
use super::persist::{self, DiskAcker, OpenError, Ticket};
use super::queue::{ExportQueue, QueueReceiver, Queued};
use super::retry::{AttemptError, Backoff};
use super::transport::Transport;

/// A running exporter: its name, counters and task. Its queue was handed out by [`spawn`].
#[derive(Debug)]
pub struct ExporterHandle {
    url: String,
    counters: Arc<ExportCounters>,
    task: JoinHandle<()>,
    persistent: bool,
}

/// Starts the exporter `config` describes (opening its persistent queue, if it has one, and
/// replaying what it holds); returns the queue to feed it and its handle.
pub fn spawn(config: ExporterConfig) -> Result<(ExportQueue, ExporterHandle), OpenError> {
    let counters = Arc::new(ExportCounters::default());
    let (queue, rx) = match &config.persist {
        Some(persist) => {
            let (writer, reader, _) = persist::open(persist, Arc::clone(&counters))?;
            ExportQueue::persistent(writer, reader)
        }
        None => ExportQueue::bounded(config.queue_spans, Arc::clone(&counters)),
    };
    let url = config.url.clone();
    let persistent = queue.is_persistent();
    let task = tokio::spawn(run(config, rx, Arc::clone(&counters)));
    Ok((
        queue,
        ExporterHandle {
            url,
            counters,
            task,
            persistent,
        },
    ))
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
                if self.persistent {
                    tracing::info!(url = %self.url, spans = left, "exporter flush deadline passed; spans stay queued on disk");
                    return self.counters.snapshot();
                }
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
    let acker = rx.disk().map(persist::DiskReader::acker);
    while let Some(first) = rx.recv().await {
        let batch = fill(first, &mut rx, config.batch_spans, config.batch_timeout).await;
        let spans = batch.iter().map(Queued::spans).sum::<u64>();
        // The queued allocations are not needed once encoded.
        let (request, tickets) = encode(batch);
        // The semaphore is never closed, so this only waits for a free slot.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let (config, transport, counters, acker) = (
            Arc::clone(&config),
            transport.clone(),
            Arc::clone(&counters),
            acker.clone(),
        );
        in_flight.spawn(async move {
            send(&config, &transport, request, spans, &counters).await;
            done(acker.as_ref(), &tickets, spans, &counters);
            drop(slot);
        });
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    tracing::info!(url = %config.url, "exporter stopped");
}

/// Frees what a finished request held: the room of its spans, or its records on disk.
fn done(acker: Option<&DiskAcker>, tickets: &[Ticket], spans: u64, counters: &ExportCounters) {
    match acker {
        Some(acker) => acker.ack(tickets),
        None => counters.release(spans),
    }
}

/// One request body for `batch`, and the tickets of its records on disk. Records are already
/// encoded requests, and concatenated requests are one request.
fn encode(batch: Vec<Queued>) -> (Bytes, Vec<Ticket>) {
    let mut memory = Vec::new();
    let mut disk = BytesMut::new();
    let mut tickets = Vec::new();
    for queued in batch {
        match queued {
            Queued::Memory(item) => memory.push(item),
            Queued::Disk(item) => {
                disk.extend_from_slice(&item.payload);
                tickets.push(item.ticket);
            }
        }
    }
    if disk.is_empty() {
        return (encode_request(&memory), tickets);
    }
    if !memory.is_empty() {
        disk.extend_from_slice(&encode_request(&memory));
    }
    (disk.freeze(), tickets)
}

/// Gathers items after `first` until `max_spans` or `timeout`, or the queue closes.
async fn fill(
    first: Queued,
    rx: &mut QueueReceiver,
    max_spans: usize,
    timeout: Duration,
) -> Vec<Queued> {
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
        let delay = match backoff.next_delay(started.elapsed(), *retry_after) {
            Some(delay) => delay,
            // A persistent queue keeps what the backend has not taken yet: no time budget.
            None if config.persist.is_some() => retry_after
                .map_or(config.retry.max_backoff, |hint| {
                    hint.max(config.retry.max_backoff)
                }),
            None => return give_up(config, counters, spans, &error),
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
