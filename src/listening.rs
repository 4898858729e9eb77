//! The one stdout line per bound listener that scripts and tests read to learn the real port
//! when they ask for `127.0.0.1:0`: `<component> <listener> listening on <addr>`.

use std::net::SocketAddr;

/// Announces that `component`'s `listener` is bound to `addr`.
pub fn announce(component: &str, listener: &str, addr: SocketAddr) {
    outln!("{component} {listener} listening on {addr}");
}
