//! One entry of the config file's `exporters`: a bare URL, or a map with the URL and its
//! `headers`, `compression` and `tls` files. Plain data, turned into a runtime
//! [`ExporterConfig`](super::ExporterConfig) once at start.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::compress::Compression;
use super::entry::QueueSettings;
use super::tls::TlsSettings;

/// One exporter as configured: `- grpc://backend:4317`, or
/// `- {url: https://backend:4318, headers: {authorization: Bearer ...}, tls: {ca_file: ...}}`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExporterSettings {
    /// `grpc://`, `grpcs://`, `http://` or `https://` URL of the backend.
    pub url: String,
    /// Headers (gRPC metadata) sent with every request, e.g. `authorization`.
    pub headers: BTreeMap<String, String>,
    /// Compression of request bodies; gzip by default.
    pub compression: Compression,
    /// CA and client certificate files; only for `https://` and `grpcs://` URLs.
    pub tls: TlsSettings,
    /// The queue: in memory unless a directory is given here or `data_dir` is set.
    pub queue: QueueSettings,
}

/// Header values are secrets: only their names are shown.
impl fmt::Debug for ExporterSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExporterSettings")
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("compression", &self.compression)
            .field("tls", &self.tls)
            .field("queue", &self.queue)
            .finish()
    }
}

impl ExporterSettings {
    /// An exporter with only a URL, everything else default.
    pub fn from_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

impl From<String> for ExporterSettings {
    fn from(url: String) -> Self {
        Self::from_url(url)
    }
}

/// The map form, with unknown keys refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Full {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    compression: Compression,
    #[serde(default)]
    tls: TlsSettings,
    #[serde(default)]
    queue: QueueSettings,
}

impl<'de> Deserialize<'de> for ExporterSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = ExporterSettings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an exporter URL or a map with `url` (and `headers`, `compression`, `tls`, `queue`)",
        )
    }

    fn visit_str<E: de::Error>(self, url: &str) -> Result<Self::Value, E> {
        Ok(ExporterSettings::from_url(url))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let full = Full::deserialize(MapAccessDeserializer::new(map))?;
        Ok(ExporterSettings {
            url: full.url,
            headers: full.headers,
            compression: full.compression,
            tls: full.tls,
            queue: full.queue,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn a_url_or_a_map() {
        let yaml = "
- grpc://a:4317
- url: https://b:4318
  headers: {authorization: Bearer s3cret}
  compression: zstd
  tls: {ca_file: /etc/ca.pem}
";
        let entries: Vec<ExporterSettings> = serde_yaml_ng::from_str(yaml).unwrap();
        assert_eq!(entries[0], ExporterSettings::from_url("grpc://a:4317"));
        assert_eq!(entries[1].url, "https://b:4318");
        assert_eq!(entries[1].headers["authorization"], "Bearer s3cret");
        assert_eq!(entries[1].compression, Compression::Zstd);
        assert_eq!(entries[1].tls.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        let debug = format!("{entries:?}");
        assert!(
            debug.contains("authorization") && !debug.contains("s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = serde_yaml_ng::from_str::<ExporterSettings>(
            "{url: 'https://b', tls: {insecure_skip_verify: true}}",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("insecure_skip_verify"), "{err}");
        let err = serde_yaml_ng::from_str::<ExporterSettings>("{url: 'http://b', header: {}}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `header`"), "{err}");
        let err = serde_yaml_ng::from_str::<ExporterSettings>("42")
            .unwrap_err()
            .to_string();
        assert!(err.contains("an exporter URL or a map"), "{err}");
    }
}
