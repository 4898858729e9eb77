//! Plain TCP passthrough for captured connections that are not HTTP: bytes are copied both
//! ways, untouched and untraced.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::stats::Stats;

/// Connects to `target` and copies bytes both ways until either side closes.
pub(super) async fn pass_through(
    mut downstream: TcpStream,
    target: SocketAddr,
    stats: &Arc<Stats>,
) {
    Stats::incr(&stats.tcp_connections);
    let mut upstream = match TcpStream::connect(target).await {
        Ok(upstream) => upstream,
        Err(e) => {
            Stats::incr(&stats.upstream_errors);
            tracing::debug!(%target, error = %e, "TCP passthrough: upstream unreachable");
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    if let Err(e) = tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await {
        tracing::debug!(%target, error = %e, "TCP passthrough ended with an error");
    }
}
