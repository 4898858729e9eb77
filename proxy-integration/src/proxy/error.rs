//! Everything the request path can fail with, and the one place those failures become the
//! caller's answer (400, 502, 504). Layers that record an exchange read the outcome from here.

use std::time::Duration;

use http::{Response, StatusCode};

use super::DestinationError;
use crate::listener::{ProxyBody, full_body};
use crate::trace::Outcome;

/// Why a request could not be proxied.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The request names no usable upstream.
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// The upstream URI cannot be built from the request's.
    #[error("invalid request URI: {0}")]
    Uri(#[from] http::uri::InvalidUriParts),
    /// No response headers within the upstream timeout.
    #[error("upstream timeout after {0:?}")]
    Timeout(Duration),
    /// No connection to the upstream could be made.
    #[error("upstream unavailable: {0}")]
    Connect(std::io::Error),
    /// The connection failed before a response arrived (HTTP/1).
    #[error("upstream unavailable: {0}")]
    Http1(#[from] hyper::Error),
    /// The HTTP/2 client failed before a response arrived.
    #[error("upstream unavailable: {0}")]
    Http2(#[from] hyper_util::client::legacy::Error),
}

impl ProxyError {
    /// The status the caller gets.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::Destination(_) | ProxyError::Uri(_) => StatusCode::BAD_REQUEST,
            ProxyError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Connect(_) | ProxyError::Http1(_) | ProxyError::Http2(_) => {
                StatusCode::BAD_GATEWAY
            }
        }
    }

    /// Whether the upstream failed (rather than the request being unroutable).
    pub fn is_upstream(&self) -> bool {
        !matches!(self, ProxyError::Destination(_) | ProxyError::Uri(_))
    }

    /// How the exchange ended, as spans and metrics record it: a request the proxy answers
    /// itself ended with that answer; an upstream failure is a transport error.
    pub fn outcome(&self) -> Outcome {
        match self.is_upstream() {
            true => Outcome::TransportError(self.to_string()),
            false => Outcome::Response(self.status().as_u16()),
        }
    }

    /// The answer the caller gets: the status and the error as text.
    pub fn into_response(self) -> Response<ProxyBody> {
        let status = self.status();
        let mut response = Response::new(full_body(self.to_string()));
        *response.status_mut() = status;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_outcomes() {
        let timeout = ProxyError::Timeout(Duration::from_secs(1));
        assert_eq!(timeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert!(matches!(timeout.outcome(), Outcome::TransportError(m) if m.contains("timeout")));
        let refused = ProxyError::Connect(std::io::ErrorKind::ConnectionRefused.into());
        assert_eq!(refused.status(), StatusCode::BAD_GATEWAY);
        let missing = ProxyError::Destination(DestinationError::Missing);
        assert!(matches!(missing.outcome(), Outcome::Response(400)));
        assert_eq!(missing.into_response().status(), StatusCode::BAD_REQUEST);
    }
}
