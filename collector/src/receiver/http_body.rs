//! Request bodies of the HTTP receivers: media type, `Content-Encoding`, and reading the body
//! within `max_request_bytes`, before and after gzip or zstd, so no sender can make the
//! collector buffer more than the limit.

use std::io::Read;

use axum::body::Body;
use bytes::Bytes;
use flate2::read::MultiGzDecoder;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::ReceiveError;

/// Media type of protobuf payloads (OTLP and Zipkin).
pub const PROTOBUF: &str = "application/x-protobuf";
/// Media type of JSON payloads (OTLP and Zipkin).
pub const JSON: &str = "application/json";

/// The payload format named by `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

impl Format {
    /// The format of `Content-Type` (parameters such as `charset` ignored, case-insensitive).
    pub fn from_headers(headers: &HeaderMap) -> Result<Format, ReceiveError> {
        let found = headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let essence = found.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case(PROTOBUF) {
            Ok(Format::Protobuf)
        } else if essence.eq_ignore_ascii_case(JSON) {
            Ok(Format::Json)
        } else {
            Err(ReceiveError::UnsupportedContentType {
                found,
                expected: "application/x-protobuf, application/json",
            })
        }
    }

    /// The `Content-Type` of responses in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => PROTOBUF,
            Format::Json => JSON,
        }
    }
}

/// `Content-Encoding` of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, ReceiveError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        "zstd" => Ok(Encoding::Zstd),
        _ => Err(ReceiveError::UnsupportedEncoding(text.into_owned())),
    }
}

/// The whole body, or [`ReceiveError::TooLarge`] (naming `limit`) once more than `cap` bytes
/// arrive.
pub(super) async fn collect_limited<B>(
    body: B,
    cap: usize,
    limit: usize,
) -> Result<Bytes, ReceiveError>
where
    B: hyper::body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Ok(Limited::new(body, cap)
        .collect()
        .await
        .map_err(|err| {
            if err.downcast_ref::<LengthLimitError>().is_some() {
                ReceiveError::TooLarge { limit }
            } else {
                ReceiveError::Body(err.to_string())
            }
        })?
        .to_bytes())
}

/// Reads the whole body, refusing it as soon as it passes `limit` bytes (compressed or
/// decompressed), and decompresses gzip and zstd.
pub async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ReceiveError> {
    let encoding = encoding(headers)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(ReceiveError::TooLarge { limit });
    }
    let raw = collect_limited(body, limit, limit).await?;
    match encoding {
        Encoding::Identity => Ok(raw),
        Encoding::Gzip => gunzip(&raw, limit),
        Encoding::Zstd => unzstd(&raw, limit),
    }
}

/// Decompresses a gzip body (concatenated members allowed), stopping one byte past `limit`
/// so a small bomb cannot expand without bound.
pub fn gunzip(compressed: &[u8], limit: usize) -> Result<Bytes, ReceiveError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    MultiGzDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|err| ReceiveError::Gzip(err.to_string()))?;
    if out.len() > limit {
        return Err(ReceiveError::TooLarge { limit });
    }
    Ok(Bytes::from(out))
}

/// Largest zstd window (log2 bytes) a body may ask for: the library's own default cap.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;
/// A window every sender may use whatever the limit (8 MiB): streaming encoders that do not
/// know the size up front pick about this much.
const ZSTD_WINDOW_LOG_FLOOR: u32 = 23;

/// Decompresses a zstd body (concatenated frames allowed), stopping one byte past `limit`.
/// The window a frame may declare is capped near `limit` (at least 8 MiB), so a small frame
/// cannot make the decoder allocate much more than the body could ever hold.
pub fn unzstd(compressed: &[u8], limit: usize) -> Result<Bytes, ReceiveError> {
    let corrupt = |err: std::io::Error| ReceiveError::Zstd(err.to_string());
    let mut decoder = zstd::stream::read::Decoder::with_buffer(compressed).map_err(corrupt)?;
    decoder
        .window_log_max(window_log_for(limit))
        .map_err(corrupt)?;
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder.take(cap).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() > limit {
        return Err(ReceiveError::TooLarge { limit });
    }
    Ok(Bytes::from(out))
}

/// log2 of the smallest power of two at least `limit`, within zstd's bounds.
fn window_log_for(limit: usize) -> u32 {
    let log = usize::BITS - limit.saturating_sub(1).leading_zeros();
    log.clamp(ZSTD_WINDOW_LOG_FLOOR, ZSTD_WINDOW_LOG_MAX)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), v.parse().unwrap()))
            .collect()
    }

    #[rustfmt::skip]
    #[test]
    fn content_type_table() {
        let cases: &[(Option<&str>, Option<Format>)] = &[
            (Some("application/x-protobuf"),          Some(Format::Protobuf)),
            (Some("application/json"),                Some(Format::Json)),
            (Some("application/json; charset=utf-8"), Some(Format::Json)),
            (Some("Application/JSON"),                Some(Format::Json)),
            (Some("text/plain"),                      None),
            (Some("application/jsonx"),               None),
            (None,                                    None),
        ];
        for (value, want) in cases {
            let map = match value {
                Some(v) => headers(&[(header::CONTENT_TYPE, v)]),
                None => HeaderMap::new(),
            };
            assert_eq!(Format::from_headers(&map).ok(), *want, "{value:?}");
        }
    }

    #[tokio::test]
    async fn reads_plain_and_gzip_bodies() {
        let plain = read(&HeaderMap::new(), Body::from("hello"), 16).await;
        assert_eq!(plain.unwrap(), "hello");
        let gz = headers(&[(header::CONTENT_ENCODING, "gzip")]);
        // The 25-byte gzip stream of "hello" fits a 32-byte limit, compressed and not.
        let body = Body::from(gzip(b"hello"));
        assert_eq!(read(&gz, body, 32).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn refuses_bodies_over_the_limit() {
        let too_big = read(&HeaderMap::new(), Body::from(vec![0u8; 17]), 16).await;
        assert_eq!(too_big, Err(ReceiveError::TooLarge { limit: 16 }));
        let declared = headers(&[(header::CONTENT_LENGTH, "1000")]);
        let early = read(&declared, Body::from("x"), 16).await;
        assert_eq!(early, Err(ReceiveError::TooLarge { limit: 16 }));
    }

    #[tokio::test]
    async fn refuses_gzip_that_expands_past_the_limit() {
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 4096, "compresses well: {}", bomb.len());
        let gz = headers(&[(header::CONTENT_ENCODING, "gzip")]);
        let result = read(&gz, Body::from(bomb), 4096).await;
        assert_eq!(result, Err(ReceiveError::TooLarge { limit: 4096 }));
    }

    #[tokio::test]
    async fn reads_zstd_bodies_within_the_limit() {
        let zs = headers(&[(header::CONTENT_ENCODING, "zstd")]);
        let body = Body::from(zstd::encode_all(&b"hello"[..], 1).unwrap());
        assert_eq!(read(&zs, body, 32).await.unwrap(), "hello");
        // Two frames back to back are one body.
        let mut two = zstd::encode_all(&b"hel"[..], 1).unwrap();
        two.extend(zstd::encode_all(&b"lo"[..], 3).unwrap());
        assert_eq!(read(&zs, Body::from(two), 64).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn refuses_zstd_that_expands_past_the_limit() {
        let bomb = zstd::encode_all(&vec![0u8; 1 << 20][..], 3).unwrap();
        assert!(bomb.len() < 4096, "compresses well: {}", bomb.len());
        let zs = headers(&[(header::CONTENT_ENCODING, "zstd")]);
        let result = read(&zs, Body::from(bomb), 4096).await;
        assert_eq!(result, Err(ReceiveError::TooLarge { limit: 4096 }));
        // A frame asking for a 1 GiB window is refused before anything is allocated.
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
        encoder
            .set_parameter(zstd::zstd_safe::CParameter::WindowLog(30))
            .unwrap();
        encoder.write_all(b"tiny").unwrap();
        let huge = encoder.finish().unwrap();
        let err = read(&zs, Body::from(huge), 4096).await.unwrap_err();
        assert!(matches!(err, ReceiveError::Zstd(_)), "{err}");
    }

    #[tokio::test]
    async fn corrupt_zstd_is_named() {
        let zs = headers(&[(header::CONTENT_ENCODING, "zstd")]);
        let corrupt = read(&zs, Body::from("not zstd"), 64).await.unwrap_err();
        assert!(matches!(corrupt, ReceiveError::Zstd(_)), "{corrupt}");
        assert!(
            corrupt.to_string().starts_with("invalid zstd body: "),
            "{corrupt}"
        );
        let mut truncated = zstd::encode_all(&b"hello hello hello"[..], 1).unwrap();
        truncated.truncate(truncated.len() - 3);
        let err = read(&zs, Body::from(truncated), 64).await.unwrap_err();
        assert!(matches!(err, ReceiveError::Zstd(_)), "{err}");
    }

    #[test]
    fn zstd_window_follows_the_limit() {
        assert_eq!(window_log_for(0), 23);
        assert_eq!(window_log_for(4096), 23);
        assert_eq!(window_log_for(16 * 1024 * 1024), 24);
        assert_eq!(window_log_for(16 * 1024 * 1024 + 1), 25);
        assert_eq!(window_log_for(usize::MAX), 27);
    }

    #[tokio::test]
    async fn corrupt_gzip_and_unknown_encoding_are_named() {
        let gz = headers(&[(header::CONTENT_ENCODING, "gzip")]);
        let corrupt = read(&gz, Body::from("not gzip"), 64).await.unwrap_err();
        assert!(matches!(corrupt, ReceiveError::Gzip(_)), "{corrupt}");
        let br = headers(&[(header::CONTENT_ENCODING, "br")]);
        let unknown = read(&br, Body::from("x"), 64).await.unwrap_err();
        assert_eq!(unknown, ReceiveError::UnsupportedEncoding("br".into()));
    }
}
