//! A worker's HTTP/1.1 keep-alive connections to its upstreams, on `hyper::client::conn`: a
//! connection is taken for one exchange and handed back when the response body has been read
//! to its end (then it is ready for the next request). Most recently used first, so the
//! connections in use stay warm; at most [`MAX_IDLE_PER_HOST`] idle per upstream.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::uri::Authority;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::proxy::ProxyError;

/// Idle connections kept per upstream; more are closed when handed back.
const MAX_IDLE_PER_HOST: usize = 256;

/// One HTTP/1.1 connection's request half.
pub(super) type Sender = SendRequest<Incoming>;

/// FNV-1a: authorities are short, and the pool is the worker's own (no hostile keys to
/// resist at this point: every key is an upstream the mesh routes to).
#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.0;
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type Idle = HashMap<Authority, Vec<Sender>, BuildHasherDefault<Fnv>>;

/// A worker's HTTP/1.1 connections (cheap to clone: one pool, shared).
#[derive(Debug, Clone)]
pub(super) struct Pool {
    idle: Arc<Mutex<Idle>>,
    connect_timeout: Duration,
}

impl Pool {
    /// An empty pool whose connection attempts give up after `connect_timeout`.
    pub(super) fn new(connect_timeout: Duration) -> Self {
        Self {
            idle: Arc::default(),
            connect_timeout,
        }
    }

    /// The most recently returned open connection to `authority`, if any.
    pub(super) fn take(&self, authority: &Authority) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        let senders = idle.get_mut(authority)?;
        while let Some(sender) = senders.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    /// Hands `sender` back after an exchange on it ended cleanly.
    pub(super) fn put(&self, authority: &Authority, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        if let Some(senders) = idle.get_mut(authority) {
            if senders.len() >= MAX_IDLE_PER_HOST {
                senders.retain(|s| !s.is_closed());
            }
            if senders.len() < MAX_IDLE_PER_HOST {
                senders.push(sender);
            }
            return;
        }
        idle.insert(authority.clone(), vec![sender]);
    }

    /// Opens a new connection to `authority` (port 80 when it names none), trying each
    /// address it resolves to in turn.
    pub(super) async fn connect(&self, authority: &Authority) -> Result<Sender, ProxyError> {
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

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn fnv_matches_reference_values() {
        let mut h = Fnv::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
        let build = BuildHasherDefault::<Fnv>::default();
        let a: Authority = "Reviews:9080".parse().unwrap();
        let b: Authority = "reviews:9080".parse().unwrap();
        assert_eq!(build.hash_one(&a), build.hash_one(&b));
    }
}
