//! Where a request goes: the workload (inbound), or the authority the workload asked for
//! (outbound, explicit mode: absolute-form URI or `Host`).

use std::net::SocketAddr;

use http::Request;
use http::uri::Authority;

/// How a listener picks the upstream.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Always this address (the inbound listener's workload).
    Fixed(Authority),
    /// The request's own authority (the outbound listener in explicit mode).
    FromRequest,
    /// Where the connection was addressed before iptables redirected it (the outbound
    /// listener in transparent mode); the request's authority when it was not redirected.
    Original,
}

/// A request that names no usable destination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// Neither an absolute URI nor a `Host` header.
    #[error("request names no destination (no absolute URI and no Host header)")]
    Missing,
    /// The `Host` header is not a valid authority.
    #[error("Host header is not a valid authority")]
    InvalidHost,
}

impl Destination {
    /// The inbound destination for a workload at `app`.
    pub fn fixed(app: SocketAddr) -> Result<Self, DestinationError> {
        app.to_string()
            .parse::<Authority>()
            .map(Self::Fixed)
            .map_err(|_| DestinationError::InvalidHost)
    }

    /// The authority `request` goes to.
    pub fn resolve<B>(
        &self,
        request: &Request<B>,
        original_dst: Option<SocketAddr>,
    ) -> Result<Authority, DestinationError> {
        match (self, original_dst) {
            (Destination::Fixed(authority), _) => Ok(authority.clone()),
            (Destination::Original, Some(original)) => original
                .to_string()
                .parse()
                .map_err(|_| DestinationError::InvalidHost),
            (Destination::FromRequest | Destination::Original, _) => {
                if let Some(authority) = request.uri().authority() {
                    return Ok(authority.clone());
                }
                let host = request
                    .headers()
                    .get(http::header::HOST)
                    .ok_or(DestinationError::Missing)?;
                host.to_str()
                    .ok()
                    .and_then(|h| h.parse::<Authority>().ok())
                    .ok_or(DestinationError::InvalidHost)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_absolute_uri_then_host() {
        let d = Destination::FromRequest;
        let abs = Request::get("http://reviews:9080/r").body(()).unwrap();
        assert_eq!(d.resolve(&abs, None).unwrap().as_str(), "reviews:9080");
        let host = Request::get("/r")
            .header("host", "ratings:9080")
            .body(())
            .unwrap();
        assert_eq!(d.resolve(&host, None).unwrap().as_str(), "ratings:9080");
        let none = Request::get("/r").body(()).unwrap();
        assert_eq!(d.resolve(&none, None), Err(DestinationError::Missing));
        let bad = Request::get("/r").header("host", "a b").body(()).unwrap();
        assert_eq!(d.resolve(&bad, None), Err(DestinationError::InvalidHost));
        let fixed = Destination::fixed(SocketAddr::from(([127, 0, 0, 1], 80))).unwrap();
        assert_eq!(fixed.resolve(&none, None).unwrap().as_str(), "127.0.0.1:80");
    }
}
