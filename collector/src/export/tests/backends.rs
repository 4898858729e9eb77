//! One exporter against scripted backends: throttling with `Retry-After` and `RetryInfo`,
//! permanent refusals, partial success.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic_types::{ErrorDetails, StatusExt};

use crate::export::{ExportCounters, ExportItem, ExporterConfig, spawn, to_resource_spans};
use crate::test_support::{stored, wait_until};

/// What a scripted backend answers, attempt by attempt; the last answer repeats.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Ok,
    /// Throttled, asking for a wait of this many milliseconds (seconds for HTTP).
    Throttle(u64),
    /// Refused for good.
    Refuse,
    /// Accepted, but this many spans rejected.
    Partial(i64),
}

/// The attempts a backend saw: when, and how many spans each carried.
#[derive(Debug, Default)]
struct Log {
    attempts: Mutex<Vec<(Instant, usize)>>,
}

impl Log {
    /// Records one attempt and returns its index.
    fn record(&self, spans: usize) -> usize {
        let mut attempts = self.attempts.lock().unwrap();
        attempts.push((Instant::now(), spans));
        attempts.len() - 1
    }

    fn attempts(&self) -> Vec<(Instant, usize)> {
        self.attempts.lock().unwrap().clone()
    }
}

fn answer(script: &[Answer], attempt: usize) -> Answer {
    script[attempt.min(script.len() - 1)]
}

fn span_count(request: &ExportTraceServiceRequest) -> usize {
    let scopes = request.resource_spans.iter().flat_map(|rs| &rs.scope_spans);
    scopes.map(|ss| ss.spans.len()).sum()
}

/// An OTLP/HTTP backend following `script`; checks the body is gzip protobuf.
async fn http_backend(script: Vec<Answer>, log: Arc<Log>) -> SocketAddr {
    let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
        let (script, log) = (script.clone(), Arc::clone(&log));
        async move {
            assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
            assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf");
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut raw)
                .unwrap();
            let request = ExportTraceServiceRequest::decode(raw.as_slice()).unwrap();
            let attempt = log.record(span_count(&request));
            match answer(&script, attempt) {
                Answer::Ok => (StatusCode::OK, HeaderMap::new(), Vec::new()),
                Answer::Throttle(secs) => {
                    let mut headers = HeaderMap::new();
                    headers.insert(header::RETRY_AFTER, secs.into());
                    (StatusCode::SERVICE_UNAVAILABLE, headers, Vec::new())
                }
                Answer::Refuse => (StatusCode::BAD_REQUEST, HeaderMap::new(), b"no".to_vec()),
                Answer::Partial(rejected) => {
                    let response = partial(rejected);
                    (StatusCode::OK, HeaderMap::new(), response.encode_to_vec())
                }
            }
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/v1/traces", post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn partial(rejected: i64) -> ExportTraceServiceResponse {
    ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: rejected,
            error_message: "some spans were bad".into(),
        }),
    }
}

/// An OTLP/gRPC backend following `script`.
#[derive(Debug, Clone)]
struct GrpcBackend {
    script: Vec<Answer>,
    log: Arc<Log>,
}

#[tonic::async_trait]
impl TraceService for GrpcBackend {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let attempt = self.log.record(span_count(request.get_ref()));
        match answer(&self.script, attempt) {
            Answer::Ok => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
            Answer::Throttle(ms) => {
                let details = ErrorDetails::with_retry_info(Some(Duration::from_millis(ms)));
                Err(tonic::Status::with_error_details(
                    tonic::Code::ResourceExhausted,
                    "slow down",
                    details,
                ))
            }
            Answer::Refuse => Err(tonic::Status::invalid_argument("no")),
            Answer::Partial(rejected) => Ok(tonic::Response::new(partial(rejected))),
        }
    }
}

async fn grpc_backend(script: Vec<Answer>, log: Arc<Log>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Only gzip is accepted, so an uncompressed export would fail the test.
    let service = TraceServiceServer::new(GrpcBackend { script, log })
        .accept_compressed(CompressionEncoding::Gzip);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    addr
}

/// Starts an exporter to `url`, queues `spans` spans, and returns its counters once the
/// queue is empty again.
async fn export(url: String, spans: u64) -> Arc<ExportCounters> {
    let (queue, handle) = spawn(ExporterConfig::parse(&url).unwrap()).unwrap();
    let batch: Vec<_> = (1..=spans)
        .map(|s| stored(7, s, None, "svc", "op"))
        .collect();
    queue
        .try_enqueue(ExportItem::new(Arc::new(to_resource_spans(&batch))))
        .unwrap();
    let counters = handle.counters();
    wait_until("the exporter is done", || counters.queued() == 0).await;
    drop(queue);
    handle
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    counters
}

#[tokio::test]
async fn http_retry_after_is_honoured() {
    let log = Arc::new(Log::default());
    let addr = http_backend(vec![Answer::Throttle(1), Answer::Ok], Arc::clone(&log)).await;
    let counters = export(format!("http://{addr}"), 3).await;
    let s = counters.snapshot();
    assert_eq!((s.sent, s.retried, s.failed), (3, 1, 0));
    let attempts = log.attempts();
    assert_eq!(attempts.len(), 2);
    let waited = attempts[1].0 - attempts[0].0;
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert_eq!(attempts[1].1, 3, "the retry carries the same spans");
}

#[tokio::test]
async fn grpc_retry_info_is_honoured() {
    let log = Arc::new(Log::default());
    let addr = grpc_backend(vec![Answer::Throttle(700), Answer::Ok], Arc::clone(&log)).await;
    let counters = export(format!("grpc://{addr}"), 2).await;
    let s = counters.snapshot();
    assert_eq!((s.sent, s.retried, s.failed), (2, 1, 0));
    let attempts = log.attempts();
    let waited = attempts[1].0 - attempts[0].0;
    assert!(
        waited >= Duration::from_millis(700),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn permanent_refusals_are_not_retried() {
    for scheme in ["http", "grpc"] {
        let log = Arc::new(Log::default());
        let addr = match scheme {
            "http" => http_backend(vec![Answer::Refuse], Arc::clone(&log)).await,
            _ => grpc_backend(vec![Answer::Refuse], Arc::clone(&log)).await,
        };
        let counters = export(format!("{scheme}://{addr}"), 4).await;
        let s = counters.snapshot();
        assert_eq!((s.sent, s.retried, s.failed), (0, 0, 4), "{scheme}");
        assert_eq!(log.attempts().len(), 1, "{scheme}");
    }
}

#[tokio::test]
async fn partial_success_counts_rejected_spans_as_failed() {
    for scheme in ["http", "grpc"] {
        let log = Arc::new(Log::default());
        let addr = match scheme {
            "http" => http_backend(vec![Answer::Partial(1)], Arc::clone(&log)).await,
            _ => grpc_backend(vec![Answer::Partial(1)], Arc::clone(&log)).await,
        };
        let counters = export(format!("{scheme}://{addr}"), 4).await;
        let s = counters.snapshot();
        assert_eq!((s.sent, s.retried, s.failed), (3, 0, 1), "{scheme}");
    }
}

#[tokio::test]
async fn batches_are_merged_up_to_the_size_limit() {
    let log = Arc::new(Log::default());
    let addr = grpc_backend(vec![Answer::Ok], Arc::clone(&log)).await;
    let mut config = ExporterConfig::parse(&format!("grpc://{addr}")).unwrap();
    config.batch_spans = 4;
    config.batch_timeout = Duration::from_secs(60);
    let (queue, handle) = spawn(config).unwrap();
    for trace in 1..=5u128 {
        let spans = [
            stored(trace, 1, None, "a", "x"),
            stored(trace, 2, None, "b", "y"),
        ];
        queue
            .try_enqueue(ExportItem::new(Arc::new(to_resource_spans(&spans))))
            .unwrap();
    }
    let counters = handle.counters();
    wait_until("two full batches are sent", || {
        counters.snapshot().sent == 8
    })
    .await;
    // The fifth item waits for the (long) batch timer; closing the queue flushes it.
    drop(queue);
    let s = handle
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!((s.sent, s.queued), (10, 0));
    let sizes: Vec<_> = log.attempts().iter().map(|(_, spans)| *spans).collect();
    assert_eq!(sizes, [4, 4, 2]);
}

#[tokio::test]
async fn flush_deadline_bounds_shutdown_and_counts_the_loss() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (queue, handle) = spawn(ExporterConfig::parse(&format!("grpc://{addr}")).unwrap()).unwrap();
    let spans = [stored(1, 1, None, "a", "x")];
    queue
        .try_enqueue(ExportItem::new(Arc::new(to_resource_spans(&spans))))
        .unwrap();
    drop(queue);
    let counters = handle.counters();
    wait_until("a retry", || counters.snapshot().retried >= 1).await;
    let started = Instant::now();
    let s = handle
        .shutdown(Instant::now() + Duration::from_millis(300))
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!((s.sent, s.failed, s.queued), (0, 1, 0));
}

/// An exporter whose queue persists in `dir`, with a retry budget of 100 ms.
fn persistent_config(url: &str, dir: &std::path::Path) -> ExporterConfig {
    let mut config = ExporterConfig::parse(url).unwrap();
    config.retry = crate::export::RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_millis(100),
    };
    config.persist = Some(crate::export::persist::PersistConfig::new(dir.to_owned()));
    config
}

#[tokio::test]
async fn a_persistent_queue_retries_past_the_budget_and_acknowledges_on_delivery() {
    let dir = crate::export::persist::test_dir::TestDir::new("exporter-persist");
    let log = Arc::new(Log::default());
    // Throttled for well over the 100 ms budget (each wait is at least 20 ms), then accepted.
    let mut script = vec![Answer::Throttle(1); 12];
    script.push(Answer::Ok);
    let addr = grpc_backend(script, Arc::clone(&log)).await;
    let config = persistent_config(&format!("grpc://{addr}"), dir.path());
    let (queue, handle) = spawn(config).unwrap();
    let spans: Vec<_> = (1..=3).map(|s| stored(9, s, None, "svc", "op")).collect();
    queue
        .try_enqueue(ExportItem::new(Arc::new(to_resource_spans(&spans))))
        .unwrap();
    let counters = handle.counters();
    wait_until("delivered", || counters.snapshot().sent == 3).await;
    wait_until("acknowledged", || counters.snapshot().queued_bytes == 0).await;
    let s = counters.snapshot();
    assert_eq!((s.failed, s.queued), (0, 0));
    assert_eq!(log.attempts().len(), 13);
    drop(queue);
    handle
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;

    // Nothing is replayed: the acknowledged record is gone.
    let config = persistent_config(&format!("grpc://{addr}"), dir.path());
    let (_queue, handle) = spawn(config).unwrap();
    assert_eq!(handle.counters().snapshot().queued_bytes, 0);
}

#[tokio::test]
async fn a_persistent_queue_does_not_keep_what_the_backend_refuses_for_good() {
    let dir = crate::export::persist::test_dir::TestDir::new("exporter-refused");
    let log = Arc::new(Log::default());
    let addr = grpc_backend(vec![Answer::Refuse], Arc::clone(&log)).await;
    let (queue, handle) = spawn(persistent_config(&format!("grpc://{addr}"), dir.path())).unwrap();
    let spans = [stored(1, 1, None, "a", "x"), stored(1, 2, None, "a", "x")];
    queue
        .try_enqueue(ExportItem::new(Arc::new(to_resource_spans(&spans))))
        .unwrap();
    let counters = handle.counters();
    wait_until("given up", || counters.snapshot().failed == 2).await;
    wait_until("acknowledged", || counters.snapshot().queued_bytes == 0).await;
    assert_eq!(log.attempts().len(), 1);
}
