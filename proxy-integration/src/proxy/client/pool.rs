//! A worker's HTTP/1.1 keep-alive connections to its upstreams, on `hyper::client::conn`: a
//! connection is taken for one exchange and handed back when the response body has been read
//! to its end (then it is ready for the next request). Most recently used first, so the
//! connections in use stay warm; at most [`MAX_IDLE_PER_HOST`] idle per upstream. A connection
//! idle for the pool's idle timeout is closed: checked when one is taken, and a sweep of every
//! upstream runs when a connection is handed back at least one idle timeout after the last
//! sweep (no timer, no task).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fnv::FnvBuildHasher;
use http::uri::Authority;
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::proxy::ProxyError;

/// Idle connections kept per upstream; past it, the longest idle one is closed.
const MAX_IDLE_PER_HOST: usize = 256;

/// A request body hyper's HTTP/1.1 client can send from a spawned connection task: the
/// caller's `Incoming` in the sidecar, any other in tests.
pub(super) trait RequestBody:
    Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

impl<B> RequestBody for B where
    B: Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

/// One HTTP/1.1 connection's request half, sending bodies of type `B`.
pub(super) type Sender<B = Incoming> = SendRequest<B>;

/// A connection waiting in the pool, and since when.
#[derive(Debug)]
struct Idle<B> {
    sender: Sender<B>,
    since: Instant,
}

/// Every upstream's idle connections, oldest first; and when they were last swept.
#[derive(Debug)]
struct Conns<B> {
    /// FNV: authorities are short, and every key is an upstream the mesh routes to (no
    /// hostile keys to resist here).
    by_authority: HashMap<Authority, VecDeque<Idle<B>>, FnvBuildHasher>,
    swept: Instant,
}

impl<B> Conns<B> {
    /// Drops every connection idle for `timeout` or closed, and upstreams left with none.
    fn sweep(&mut self, now: Instant, timeout: Duration) -> Vec<Idle<B>> {
        self.swept = now;
        let mut gone = Vec::new();
        self.by_authority.retain(|_, idle| {
            // Oldest first: the expired ones lead.
            let expired =
                idle.partition_point(|i| now.saturating_duration_since(i.since) >= timeout);
            gone.extend(idle.drain(..expired));
            idle.retain(|i| !i.sender.is_closed());
            !idle.is_empty()
        });
        gone
    }
}

/// A worker's HTTP/1.1 connections (cheap to clone: one pool, shared), sending request bodies
/// of type `B` (the sidecar's: the caller's body as it arrives).
#[derive(Debug)]
pub(super) struct Pool<B = Incoming> {
    conns: Arc<Mutex<Conns<B>>>,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

// Not derived: that would ask `B: Clone`, and bodies are not.
impl<B> Clone for Pool<B> {
    fn clone(&self) -> Self {
        Self {
            conns: self.conns.clone(),
            connect_timeout: self.connect_timeout,
            idle_timeout: self.idle_timeout,
        }
    }
}

impl<B: RequestBody> Pool<B> {
    /// An empty pool whose connection attempts give up after `connect_timeout` and whose
    /// connections are closed after `idle_timeout` unused.
    pub(super) fn new(connect_timeout: Duration, idle_timeout: Duration) -> Self {
        Self {
            conns: Arc::new(Mutex::new(Conns {
                by_authority: HashMap::default(),
                swept: Instant::now(),
            })),
            connect_timeout,
            idle_timeout,
        }
    }

    /// The most recently returned open connection to `authority` idle for less than the idle
    /// timeout, if any.
    pub(super) fn take(&self, authority: &Authority) -> Option<Sender<B>> {
        let expired = {
            let mut conns = self.conns.lock().ok()?;
            let now = Instant::now();
            let idle = conns.by_authority.get_mut(authority)?;
            loop {
                let newest = idle.pop_back()?;
                if now.saturating_duration_since(newest.since) >= self.idle_timeout {
                    // The others were handed back even earlier.
                    break std::mem::take(idle);
                }
                if !newest.sender.is_closed() {
                    return Some(newest.sender);
                }
            }
        };
        // Closed here, out of the lock.
        drop(expired);
        None
    }

    /// Hands `sender` back after an exchange on it ended cleanly.
    pub(super) fn put(&self, authority: &Authority, sender: Sender<B>) {
        if sender.is_closed() {
            return;
        }
        let Ok(mut conns) = self.conns.lock() else {
            return;
        };
        let now = Instant::now();
        let swept = if now.saturating_duration_since(conns.swept) >= self.idle_timeout {
            conns.sweep(now, self.idle_timeout)
        } else {
            Vec::new()
        };
        let returned = Idle { sender, since: now };
        // Looked up before inserting: no key cloned on the common path.
        let evicted = match conns.by_authority.get_mut(authority) {
            Some(idle) => push(idle, returned),
            None => {
                conns
                    .by_authority
                    .insert(authority.clone(), VecDeque::from([returned]));
                None
            }
        };
        drop(conns);
        // Closed out of the lock.
        drop((swept, evicted));
    }

    /// Opens a new connection to `authority` (port 80 when it names none), trying each
    /// address it resolves to in turn.
    pub(super) async fn connect(&self, authority: &Authority) -> Result<Sender<B>, ProxyError> {
        let connecting = async {
            let host = authority.host();
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            let port = authority.port_u16().unwrap_or(80);
            let mut last = None;
            for addr in tokio::net::lookup_host((host, port)).await? {
                match TcpStream::connect(addr).await {
                    Ok(stream) => return Ok(stream),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host")
            }))
        };
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(connected) => connected.map_err(ProxyError::Connect)?,
            Err(_) => {
                return Err(ProxyError::Connect(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connect timed out",
                )));
            }
        };
        // Proxied requests are latency-sensitive: don't batch small writes.
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::debug!(error = %e, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }
}

/// Appends `returned` as the newest; gives back the oldest when that makes too many.
fn push<B>(idle: &mut VecDeque<Idle<B>>, returned: Idle<B>) -> Option<Idle<B>> {
    if idle.len() >= MAX_IDLE_PER_HOST {
        idle.retain(|i| !i.sender.is_closed());
    }
    let evicted = if idle.len() >= MAX_IDLE_PER_HOST {
        idle.pop_front()
    } else {
        None
    };
    idle.push_back(returned);
    evicted
}

#[cfg(test)]
mod tests;
