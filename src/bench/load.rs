//! The senders: one tonic channel and one task per connection, each with one export request
//! in flight, at a set rate (request `k` is due `k * batch / rate` after the start, whoever
//! sends it) or back to back.
//!
//! Requests go out pre-encoded through [`PreEncoded`], a codec that copies a pooled request
//! into tonic's buffer with its trace ids stamped, so encoding is not part of the run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use tokio::time::Instant;
use tonic::codec::{Codec, EncodeBuf, Encoder};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_prost::ProstDecoder;

use super::traces::{Pool, Template};

/// The OTLP trace export method.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// Longest wait for a connection to the target.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause after a refused or failed request, so a refusing collector is not spun on.
const BACKOFF: Duration = Duration::from_millis(10);

/// Why load could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not `grpc://HOST:PORT` or `http://HOST:PORT`.
    #[error("target {0:?} is not grpc://HOST:PORT (plaintext OTLP/gRPC)")]
    Url(String),
    /// Nothing answered at the target.
    #[error("target {url} is unreachable: {reason}")]
    Unreachable {
        /// The target as given.
        url: String,
        /// What the connection attempt said.
        reason: String,
    },
}

/// What the senders did; read after they stop.
#[derive(Debug, Default)]
pub struct LoadCounters {
    /// Export requests sent (answered or not).
    pub requests: AtomicU64,
    /// Spans in those requests.
    pub spans_sent: AtomicU64,
    /// Spans the target accepted: answered OK, less any partial-success rejections.
    pub spans_accepted: AtomicU64,
    /// Requests refused with UNAVAILABLE (back-pressure, memory limit).
    pub refused_unavailable: AtomicU64,
    /// Requests refused with RESOURCE_EXHAUSTED.
    pub refused_exhausted: AtomicU64,
    /// Requests that failed any other way.
    pub failed: AtomicU64,
    /// The first such failure, for the report.
    pub first_error: Mutex<Option<String>>,
}

/// How to load.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// How long requests are started.
    pub duration: Duration,
    /// Spans per second over all connections; `None`: back to back.
    pub rate: Option<u64>,
}

/// Opens `connections` HTTP/2 connections to `url` (`grpc://` or `http://`).
pub async fn connect(url: &str, connections: u32) -> Result<Vec<Channel>, ConnectError> {
    let http = match url.split_once("://") {
        Some(("grpc" | "http", rest)) if !rest.is_empty() => format!("http://{rest}"),
        _ => return Err(ConnectError::Url(url.to_owned())),
    };
    let endpoint = Endpoint::from_shared(http)
        .map_err(|_| ConnectError::Url(url.to_owned()))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true);
    let mut channels = Vec::new();
    for _ in 0..connections {
        // `connect` (not `connect_lazy`) on each: one TCP connection per channel, and an
        // unreachable target is reported now.
        let channel = endpoint
            .connect()
            .await
            .map_err(|err| ConnectError::Unreachable {
                url: url.to_owned(),
                reason: error_chain(&err),
            })?;
        channels.push(channel);
    }
    Ok(channels)
}

/// Sends over every channel until `plan.duration` has passed; returns when the last
/// answer is in.
pub async fn run(channels: Vec<Channel>, pool: Arc<Pool>, plan: Plan, counters: Arc<LoadCounters>) {
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = channels
        .into_iter()
        .map(|channel| {
            let sender = Sender {
                grpc: tonic::client::Grpc::new(channel),
                pool: pool.clone(),
                counters: counters.clone(),
                next: next.clone(),
            };
            tokio::spawn(sender.run(start, plan))
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

/// One connection's task.
struct Sender {
    grpc: tonic::client::Grpc<Channel>,
    pool: Arc<Pool>,
    counters: Arc<LoadCounters>,
    /// The next request number, shared by all senders.
    next: Arc<AtomicU64>,
}

impl Sender {
    async fn run(mut self, start: Instant, plan: Plan) {
        let end = start + plan.duration;
        let spans = self.pool.spans_per_request;
        loop {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if let Some(rate) = plan.rate.filter(|r| *r > 0) {
                let due = start + Duration::from_secs_f64(k as f64 * spans as f64 / rate as f64);
                if due >= end {
                    break;
                }
                tokio::time::sleep_until(due).await;
            } else if Instant::now() >= end {
                break;
            }
            let Some(template) = self
                .pool
                .templates
                .get(k as usize % self.pool.templates.len())
            else {
                break;
            };
            let stamped = Stamped {
                template: template.clone(),
                seq: k + 1,
            };
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            self.counters.spans_sent.fetch_add(spans, Ordering::Relaxed);
            let answer = self.send(stamped).await;
            if !self.record(spans, answer) {
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }

    async fn send(&mut self, stamped: Stamped) -> Result<ExportTraceServiceResponse, Status> {
        self.grpc
            .ready()
            .await
            .map_err(|err| Status::unavailable(format!("connection not ready: {err}")))?;
        let path = PathAndQuery::from_static(EXPORT_PATH);
        let request = tonic::Request::new(stamped);
        Ok(self
            .grpc
            .unary(request, path, PreEncoded)
            .await?
            .into_inner())
    }

    /// Counts an answer; false when the request was refused or failed.
    fn record(&self, spans: u64, answer: Result<ExportTraceServiceResponse, Status>) -> bool {
        let counters = &self.counters;
        match answer {
            Ok(response) => {
                let rejected = response.partial_success.map_or(0, |p| p.rejected_spans);
                let accepted = spans.saturating_sub(u64::try_from(rejected).unwrap_or(0));
                counters
                    .spans_accepted
                    .fetch_add(accepted, Ordering::Relaxed);
                true
            }
            Err(status) => {
                let counter = match status.code() {
                    Code::Unavailable => &counters.refused_unavailable,
                    Code::ResourceExhausted => &counters.refused_exhausted,
                    _ => &counters.failed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = counters.first_error.lock() {
                    first.get_or_insert_with(|| {
                        format!("{:?}: {}", status.code(), status.message())
                    });
                }
                false
            }
        }
    }
}

/// A pooled request and the sequence number its trace ids are stamped with.
#[derive(Debug, Clone)]
struct Stamped {
    template: Arc<Template>,
    seq: u64,
}

/// Requests are already encoded (see [`Stamped`]); answers are OTLP responses.
#[derive(Debug, Clone, Copy, Default)]
struct PreEncoded;

impl Codec for PreEncoded {
    type Encode = Stamped;
    type Decode = ExportTraceServiceResponse;
    type Encoder = StampedEncoder;
    type Decoder = ProstDecoder<ExportTraceServiceResponse>;

    fn encoder(&mut self) -> Self::Encoder {
        StampedEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

/// Writes a [`Stamped`] request's bytes into the gRPC frame.
#[derive(Debug, Clone, Copy, Default)]
struct StampedEncoder;

impl Encoder for StampedEncoder {
    type Item = Stamped;
    type Error = Status;

    fn encode(&mut self, item: Stamped, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.reserve(item.template.len());
        item.template.write_stamped(item.seq, dst);
        Ok(())
    }
}

/// `err` and its sources on one line (tonic's transport error alone says only
/// "transport error").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        // hyper and tonic often wrap an error in one that prints the same text.
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}
