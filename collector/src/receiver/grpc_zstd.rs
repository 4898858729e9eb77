//! zstd-compressed OTLP/gRPC requests, inflated at the edge with the HTTP receivers' bounds
//! before tonic sees them.
//!
//! tonic's own zstd decoder caps the output at `max_request_bytes` but lets a frame ask for
//! the library's largest window (128 MiB), allocated before a byte comes out; a few tiny
//! requests could then hold gigabytes. Here each message goes through
//! [`unzstd`](super::http_body::unzstd) (window capped near the limit, output stopped one
//! byte past it) and is passed on uncompressed. A unary call is one message, which tonic
//! buffers whole anyway.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body_util::Full;
use tonic::body::Body;

use super::error::ReceiveError;
use super::http_body::{collect_limited, unzstd};

/// Length of a gRPC message prefix: compressed flag and 4-byte big-endian length.
const PREFIX: usize = 5;

/// Whether `headers` say the messages are zstd-compressed.
pub fn is_zstd(headers: &http::HeaderMap) -> bool {
    headers
        .get("grpc-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"zstd"))
}

/// The request with every compressed message inflated and marked uncompressed.
pub async fn inflate(
    request: http::Request<Body>,
    limit: usize,
) -> Result<http::Request<Body>, ReceiveError> {
    let (mut parts, body) = request.into_parts();
    let raw = collect_limited(body, limit.saturating_add(PREFIX), limit).await?;
    let inflated = inflate_messages(raw, limit)?;
    parts.headers.remove("grpc-encoding");
    Ok(http::Request::from_parts(
        parts,
        Body::new(Full::new(inflated)),
    ))
}

/// Rewrites length-prefixed messages; a truncated tail is passed on as it is, for tonic to
/// refuse with its own message.
fn inflate_messages(mut raw: Bytes, limit: usize) -> Result<Bytes, ReceiveError> {
    let mut out = BytesMut::new();
    while raw.len() >= PREFIX {
        let compressed = raw[0] != 0;
        let len = usize::try_from(u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]))
            .unwrap_or(usize::MAX);
        if raw.len() - PREFIX < len {
            break;
        }
        raw.advance(PREFIX);
        let payload = raw.split_to(len);
        let message = if compressed {
            unzstd(&payload, limit)?
        } else {
            payload
        };
        let len = u32::try_from(message.len()).map_err(|_| ReceiveError::TooLarge { limit })?;
        out.put_u8(0);
        out.put_u32(len);
        out.put_slice(&message);
    }
    out.put_slice(&raw);
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    fn message(flag: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![flag];
        out.extend(u32::try_from(payload.len()).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn compressed_messages_are_inflated() {
        let zipped = zstd::encode_all(&b"hello"[..], 1).unwrap();
        let raw = [message(1, &zipped), message(0, b"plain")].concat();
        let out = inflate_messages(raw.into(), 64).unwrap();
        assert_eq!(out, [message(0, b"hello"), message(0, b"plain")].concat());
    }

    #[test]
    fn bombs_corrupt_data_and_truncation() {
        let bomb = zstd::encode_all(&vec![0u8; 1 << 20][..], 3).unwrap();
        let err = inflate_messages(message(1, &bomb).into(), 4096).unwrap_err();
        assert_eq!(err, ReceiveError::TooLarge { limit: 4096 });
        let err = inflate_messages(message(1, b"garbage").into(), 64).unwrap_err();
        assert!(matches!(err, ReceiveError::Zstd(_)), "{err}");
        let mut short = message(1, b"abc");
        short.pop();
        let out = inflate_messages(short.clone().into(), 64).unwrap();
        assert_eq!(out, short, "left for tonic to refuse");
    }

    #[tokio::test]
    async fn requests_are_rewritten_and_limited() {
        let zipped = zstd::encode_all(&b"hello"[..], 1).unwrap();
        let request = http::Request::builder()
            .header("grpc-encoding", "zstd")
            .body(Body::new(Full::new(Bytes::from(message(1, &zipped)))))
            .unwrap();
        assert!(is_zstd(request.headers()));
        let out = inflate(request, 64).await.unwrap();
        assert!(!out.headers().contains_key("grpc-encoding"));
        let body = out.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, message(0, b"hello"));
        let big = http::Request::new(Body::new(Full::new(Bytes::from(vec![0u8; 100]))));
        let err = inflate(big, 16).await.unwrap_err();
        assert_eq!(err, ReceiveError::TooLarge { limit: 16 });
    }
}
