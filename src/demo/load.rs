//! The demo's load generator: a steady request rate against productpage with regular bursts,
//! bounded in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

/// Every `BURST_EVERY`, the rate triples for `BURST_FOR`.
const BURST_EVERY: Duration = Duration::from_secs(10);
const BURST_FOR: Duration = Duration::from_secs(2);
const BURST_FACTOR: f64 = 3.0;

/// Requests per second `elapsed` into the run: steady, with regular bursts.
fn rate_at(rps: u32, elapsed: Duration) -> f64 {
    let phase = Duration::from_nanos((elapsed.as_nanos() % BURST_EVERY.as_nanos()) as u64);
    let base = f64::from(rps.max(1));
    if phase >= BURST_EVERY - BURST_FOR {
        base * BURST_FACTOR
    } else {
        base
    }
}

/// Requests allowed in flight; past this, ticks are skipped and counted.
const MAX_IN_FLIGHT: usize = 256;

/// Counters of the load run, read by the progress line and the summary.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Requests sent.
    pub sent: AtomicU64,
    /// Answered 2xx.
    pub ok: AtomicU64,
    /// Answered non-2xx.
    pub errors: AtomicU64,
    /// No answer (connection failed).
    pub failed: AtomicU64,
    /// Ticks skipped because too many requests were in flight.
    pub skipped: AtomicU64,
}

impl LoadStats {
    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Sends `GET {target}/productpage` at `rps` until `stop` turns true, then waits (at most
/// a few seconds) for the requests in flight.
pub async fn run(
    target: SocketAddr,
    rps: u32,
    stats: Arc<LoadStats>,
    mut stop: watch::Receiver<bool>,
) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let url = format!("http://{target}/productpage");
    let started = Instant::now();
    let mut next = started;
    loop {
        next += Duration::from_secs_f64(1.0 / rate_at(rps, next - started));
        // Far behind (a stalled machine): restart the schedule instead of bursting to catch up.
        let now = Instant::now();
        if now > next + Duration::from_secs(1) {
            next = now;
        }
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let Ok(uri) = url.parse::<http::Uri>() else {
            break;
        };
        let (client, stats) = (client.clone(), stats.clone());
        stats.sent.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let counter = match client.get(uri).await {
                Ok(response) => {
                    let ok = response.status().is_success();
                    // Read the body so the pooled connection can be reused.
                    let _ = response.into_body().collect().await;
                    if ok { &stats.ok } else { &stats.errors }
                }
                Err(_) => &stats.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    // Let requests in flight finish so their spans are complete.
    let all = u32::try_from(MAX_IN_FLIGHT).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), permits.acquire_many(all)).await;
}
