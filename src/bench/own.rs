//! The bench's own pieces: the sink and the measured collector (the bench's child when no
//! `--target` is given, or the target's process with `--sink`), and the figures read from
//! them once the load is over.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use super::child::CollectorChild;
use super::scrape::{self, Undelivered};
use super::sink::{self, Sink, SinkCounters};
use super::{BenchError, procfs};

/// Where the sink listens for the bench's own child.
const LOOPBACK_ANY_PORT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
/// After the load, how long the sink may receive nothing before the run is over.
const DRAIN_IDLE: Duration = Duration::from_secs(3);
/// After the load, the longest wait for the sink to catch up.
const DRAIN_MAX: Duration = Duration::from_secs(30);

/// A running sink and the collector exporting to it.
#[derive(Debug)]
pub struct Own {
    sink: Sink,
    /// The collector's process.
    pid: u32,
    /// The bench's own collector child; `None` for a `--target` collector.
    child: Option<CollectorChild>,
    cpu_before: Duration,
}

/// What the sink and the child say after a run.
#[derive(Debug, Clone, Copy)]
pub struct OwnFigures {
    /// Spans the sink received.
    pub received: u64,
    /// When the last of them arrived.
    pub last: Option<Instant>,
    /// The child's CPU time over the run.
    pub cpu: Duration,
    /// The child's peak RSS in bytes.
    pub peak_rss: u64,
    /// What the child's exporter did not deliver, when its `/metrics` could be read.
    pub undelivered: Option<Undelivered>,
}

impl Own {
    /// Starts the sink, then the child exporting to it (in pass-through when `passthrough`);
    /// the child's CPU clock starts now. Also returns the child's OTLP/gRPC URL.
    pub async fn start(passthrough: bool) -> Result<(Self, String), BenchError> {
        let sink = sink::start(LOOPBACK_ANY_PORT)
            .await
            .map_err(BenchError::Sink)?;
        let child = CollectorChild::start(&format!("grpc://{}", sink.addr), passthrough).await?;
        let pid = child.pid;
        let url = format!("grpc://{}", child.otlp_grpc);
        let cpu_before = procfs::cpu_time(pid)?;
        let own = Self {
            sink,
            pid,
            child: Some(child),
            cpu_before,
        };
        Ok((own, url))
    }

    /// Starts the sink on `addr` for a collector the bench did not start (process `pid`),
    /// which exports to it; that process's CPU clock starts now.
    pub async fn external(addr: SocketAddr, pid: u32) -> Result<Self, BenchError> {
        let sink = sink::start(addr).await.map_err(BenchError::Sink)?;
        let cpu_before = procfs::cpu_time(pid)?;
        Ok(Self {
            sink,
            pid,
            child: None,
            cpu_before,
        })
    }

    /// Waits for the sink to receive the `accepted` spans (see [`drain`]), reads the
    /// figures and stops the child.
    pub async fn finish(self, accepted: u64) -> Result<OwnFigures, BenchError> {
        drain(&self.sink.counters, accepted).await;
        let cpu = procfs::cpu_time(self.pid)?.saturating_sub(self.cpu_before);
        let peak_rss = procfs::peak_rss(self.pid)?;
        let mut undelivered = None;
        if let Some(child) = self.child {
            undelivered = scrape::undelivered(child.http).await;
            child.stop().await;
        }
        Ok(OwnFigures {
            received: self.sink.counters.spans(),
            last: self.sink.counters.last(),
            cpu,
            peak_rss,
            undelivered,
        })
    }
}

/// Waits until the sink has `accepted` spans, or has received nothing for [`DRAIN_IDLE`],
/// or [`DRAIN_MAX`] has passed.
async fn drain(sink: &SinkCounters, accepted: u64) {
    let deadline = Instant::now() + DRAIN_MAX;
    let mut last_count = sink.spans();
    let mut last_change = Instant::now();
    while sink.spans() < accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = sink.spans();
        if now != last_count {
            last_count = now;
            last_change = Instant::now();
        } else if last_change.elapsed() >= DRAIN_IDLE {
            break;
        }
    }
}
