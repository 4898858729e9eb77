//! The gRPC status of a response, read from its trailers (or headers, for a trailers-only
//! response) without trusting them: tonic's own `Status::from_header_map` panics on
//! undecodable `grpc-status-details-bin`, so a hostile backend could crash the exporter.

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use percent_encoding::percent_decode;
use tonic::{Code, Status};

/// Header carrying the numeric status code.
pub const GRPC_STATUS: &str = "grpc-status";
/// Header carrying the percent-encoded status message.
pub const GRPC_MESSAGE: &str = "grpc-message";
/// Header carrying the base64 `google.rpc.Status` (where `RetryInfo` travels).
pub const GRPC_STATUS_DETAILS: &str = "grpc-status-details-bin";

/// Standard alphabet, padding optional (gRPC senders usually leave it out).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The status in `headers`, if they carry `grpc-status`. An undecodable message or details
/// header is replaced by a note or dropped, never trusted.
pub fn from_headers(headers: &HeaderMap) -> Option<Status> {
    let code = Code::from_bytes(headers.get(GRPC_STATUS)?.as_bytes());
    let message = headers.get(GRPC_MESSAGE).map_or_else(String::new, |value| {
        percent_decode(value.as_bytes()).decode_utf8().map_or_else(
            |_| "<undecodable grpc-message>".to_owned(),
            |m| m.into_owned(),
        )
    });
    let details = headers
        .get(GRPC_STATUS_DETAILS)
        .and_then(|value| BASE64.decode(value.as_bytes()).ok())
        .map(Bytes::from)
        .unwrap_or_default();
    Some(Status::with_details(code, message, details))
}

/// The status of a response without `grpc-status`, from its HTTP status, as gRPC's
/// `http-grpc-status-mapping.md` says.
pub fn from_http(status: StatusCode) -> Status {
    let code = match status {
        StatusCode::BAD_REQUEST => Code::Internal,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::NOT_FOUND => Code::Unimplemented,
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Code::Unavailable,
        // A 200 without `grpc-status` is a broken stream; the call may not have run.
        StatusCode::OK => Code::Unavailable,
        _ => Code::Unknown,
    };
    Status::new(code, format!("HTTP {status} without grpc-status"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    use std::time::Duration;
    use tonic_types::{ErrorDetails, StatusExt};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_code_message_and_retry_info() {
        let details = ErrorDetails::with_retry_info(Some(Duration::from_millis(250)));
        let source = Status::with_error_details(Code::ResourceExhausted, "x", details);
        let encoded = STANDARD_NO_PAD.encode(source.details());
        let status = from_headers(&headers(&[
            (GRPC_STATUS, "8"),
            (GRPC_MESSAGE, "slow%20down"),
            (GRPC_STATUS_DETAILS, &encoded),
        ]))
        .unwrap();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(status.message(), "slow down");
        let retry = status.get_details_retry_info().unwrap();
        assert_eq!(retry.retry_delay, Some(Duration::from_millis(250)));
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let status = from_headers(&headers(&[
            (GRPC_STATUS, "banana"),
            (GRPC_MESSAGE, "%FF%FE"),
            (GRPC_STATUS_DETAILS, "!!not base64!!"),
        ]))
        .unwrap();
        assert_eq!(status.code(), Code::Unknown);
        assert_eq!(status.message(), "<undecodable grpc-message>");
        assert!(status.details().is_empty());
        assert!(from_headers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn http_statuses_map_to_grpc_codes() {
        assert_eq!(
            from_http(StatusCode::SERVICE_UNAVAILABLE).code(),
            Code::Unavailable
        );
        assert_eq!(from_http(StatusCode::NOT_FOUND).code(), Code::Unimplemented);
        assert_eq!(from_http(StatusCode::IM_A_TEAPOT).code(), Code::Unknown);
    }
}
