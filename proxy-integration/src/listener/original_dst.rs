//! The destination a connection was addressed to before iptables `REDIRECT` sent it to us
//! (`SO_ORIGINAL_DST`, from the connection-tracking table).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use nix::sys::socket::getsockopt;
use nix::sys::socket::sockopt::{Ip6tOriginalDst, OriginalDst};
use tokio::net::TcpStream;

/// The original destination, or `None` when the connection was not redirected (no NAT entry,
/// or the "original" destination is this listener itself).
pub(super) fn of(stream: &TcpStream) -> Option<SocketAddr> {
    let original = if stream.local_addr().ok()?.is_ipv4() {
        let raw = getsockopt(stream, OriginalDst).ok()?;
        let ip = Ipv4Addr::from(u32::from_be(raw.sin_addr.s_addr));
        SocketAddr::from((ip, u16::from_be(raw.sin_port)))
    } else {
        let raw = getsockopt(stream, Ip6tOriginalDst).ok()?;
        let ip = Ipv6Addr::from(raw.sin6_addr.s6_addr);
        SocketAddr::from((ip, u16::from_be(raw.sin6_port)))
    };
    (Some(original) != stream.local_addr().ok()).then_some(original)
}
