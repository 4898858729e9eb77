//! How export request bodies are compressed: gzip (the default), zstd or not at all.

use std::io;

use bytes::Bytes;
use serde::Deserialize;

use super::encode::gzip;

/// zstd level of export requests: the fastest, since the exporter is on the hot path.
const ZSTD_LEVEL: i32 = 1;

/// The compression of one exporter's requests (`compression:` in the config file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip at the fast level; every OTLP receiver accepts it.
    #[default]
    Gzip,
    /// zstd at level 1: smaller and cheaper than gzip, for receivers that accept it.
    Zstd,
    /// Sent as encoded.
    None,
}

impl Compression {
    /// The `grpc-encoding` / `Content-Encoding` value, `None` when uncompressed.
    pub const fn encoding(self) -> Option<&'static str> {
        match self {
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::None => None,
        }
    }

    /// `body` compressed this way.
    pub fn compress(self, body: &[u8]) -> io::Result<Bytes> {
        match self {
            Compression::Gzip => gzip(body),
            Compression::Zstd => zstd::bulk::compress(body, ZSTD_LEVEL).map(Bytes::from),
            Compression::None => Ok(Bytes::copy_from_slice(body)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compression_round_trips() {
        let body = b"spans spans spans spans".repeat(100);
        let zstd = Compression::Zstd.compress(&body).unwrap();
        assert!(zstd.len() < body.len());
        assert_eq!(zstd::decode_all(zstd.as_ref()).unwrap(), body);
        assert_eq!(Compression::None.compress(&body).unwrap(), body);
        assert_eq!(Compression::default().encoding(), Some("gzip"));
        assert_eq!(Compression::None.encoding(), None);
    }

    #[test]
    fn config_names() {
        let parsed: Vec<Compression> = serde_json::from_str(r#"["gzip","zstd","none"]"#).unwrap();
        assert_eq!(
            parsed,
            [Compression::Gzip, Compression::Zstd, Compression::None]
        );
        assert!(serde_json::from_str::<Compression>(r#""br""#).is_err());
    }
}
