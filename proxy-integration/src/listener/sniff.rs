//! Protocol detection on a captured connection: HTTP/1.x (a known method and a space) or the
//! HTTP/2 preface is served as HTTP; anything else, including a client that sends nothing
//! within the timeout (server-first protocols), is passed through as TCP. Istio's sidecar
//! does the same with its protocol-detection timeout.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

/// How long to wait for the first bytes before assuming a server-first protocol.
const TIMEOUT: Duration = Duration::from_millis(100);

/// What a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    /// HTTP/1.x or HTTP/2 prior knowledge.
    Http,
    /// Anything else.
    Other,
}

/// Request-line prefixes that mean HTTP.
const HTTP_STARTS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    b"PRI * HTTP/2.0",
];

/// `Some` once `bytes` decide the protocol, `None` while they could still be either.
fn classify(bytes: &[u8]) -> Option<Protocol> {
    let mut undecided = false;
    for start in HTTP_STARTS {
        let n = bytes.len().min(start.len());
        if bytes[..n] == start[..n] {
            if n == start.len() {
                return Some(Protocol::Http);
            }
            undecided = true;
        }
    }
    (!undecided).then_some(Protocol::Other)
}

/// Peeks at the first bytes of `stream` (without consuming them) until they decide.
pub(super) async fn detect(stream: &TcpStream) -> Protocol {
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 16];
    loop {
        let peeked = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(n)) => n,
            // Timed out, closed or failed: nothing HTTP to serve.
            Ok(Err(_)) | Err(_) => return Protocol::Other,
        };
        if peeked == 0 {
            return Protocol::Other;
        }
        if let Some(protocol) = classify(&buf[..peeked]) {
            return protocol;
        }
        if peeked == buf.len() || Instant::now() >= deadline {
            return Protocol::Other;
        }
        // A partial method: give the client a moment to send the rest.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    const CASES: &[(&[u8], Option<Protocol>)] = &[
        (b"GET / HTTP/1.1\r\n", Some(Protocol::Http)),
        (b"POST /x", Some(Protocol::Http)),
        (b"PRI * HTTP/2.0\r\n\r\nSM", Some(Protocol::Http)),
        (b"GE", None),
        (b"PRI * HT", None),
        (b"\x16\x03\x01\x02\x00", Some(Protocol::Other)),
        (b"SSH-2.0-OpenSSH", Some(Protocol::Other)),
        (b"GETX", Some(Protocol::Other)),
        (b"", None),
    ];

    #[test]
    fn classification() {
        for (bytes, want) in CASES {
            assert_eq!(classify(bytes), *want, "{bytes:?}");
        }
    }
}
