//! Envoy's threading model for the proxy listeners: N worker threads, each with its own
//! single-threaded runtime, its own upstream connection pools and its own socket of every
//! proxy listener (`SO_REUSEPORT`, so the kernel spreads connections). A connection stays on
//! the worker that accepted it; workers share only lock-free state (tracer, counters,
//! metrics).

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::listener::{Capture, serve};
use crate::proxy::ProxyStack;

/// Why a listener group could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BindError(#[from] pub std::io::Error);

/// One proxy listener: a socket per worker, all bound to one address.
#[derive(Debug)]
pub struct ListenerGroup {
    /// The bound address (the real port when asked for port 0).
    pub addr: SocketAddr,
    sockets: Vec<std::net::TcpListener>,
}

fn reuseport_listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Binds `workers` sockets to `addr` (the first one resolves port 0 for the others).
pub async fn bind_group(addr: SocketAddr, workers: usize) -> Result<ListenerGroup, BindError> {
    let first = reuseport_listener(addr)?;
    let addr = first.local_addr()?;
    let mut sockets = vec![first.into_std()?];
    for _ in 1..workers.max(1) {
        sockets.push(reuseport_listener(addr)?.into_std()?);
    }
    Ok(ListenerGroup { addr, sockets })
}

/// What one worker serves: a listener socket, how it captures, and its request path.
pub struct WorkerListener {
    /// The socket, taken from a [`ListenerGroup`].
    pub socket: std::net::TcpListener,
    /// Explicit or transparent.
    pub capture: Capture,
    /// This worker's request path (with its own upstream pools).
    pub stack: ProxyStack,
}

impl ListenerGroup {
    /// Hands out the sockets, one per worker.
    pub fn into_sockets(self) -> Vec<std::net::TcpListener> {
        self.sockets
    }
}

/// Starts one worker thread serving `listeners` until `shutdown` turns true.
pub fn spawn_worker(
    index: usize,
    listeners: Vec<WorkerListener>,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("meshtrace-worker-{index}"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    tracing::error!(worker = index, error = %e, "cannot start a worker runtime");
                    return;
                }
            };
            runtime.block_on(async move {
                let mut tasks = Vec::new();
                for WorkerListener {
                    socket,
                    capture,
                    stack,
                } in listeners
                {
                    let listener = match socket
                        .set_nonblocking(true)
                        .and_then(|()| TcpListener::from_std(socket))
                    {
                        Ok(listener) => listener,
                        Err(e) => {
                            tracing::error!(worker = index, error = %e, "cannot adopt a listener");
                            continue;
                        }
                    };
                    tasks.push(tokio::spawn(serve(
                        listener,
                        shutdown.clone(),
                        capture,
                        move |conn| stack.for_connection(conn),
                    )));
                }
                for task in tasks {
                    let _ = task.await;
                }
            });
        })
}
