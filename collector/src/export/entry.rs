//! One entry of the config file's `exporters` list: a URL, or a map with the URL and its
//! queue settings.
//!
//! ```yaml
//! exporters:
//!   - grpc://jaeger:4317
//!   - url: http://tempo:4318
//!     queue: { dir: /var/lib/meshtrace/queue/tempo, max_bytes: 1073741824, fsync: false }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::config::{ExporterConfig, ExporterUrlError};
use super::persist::{DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, PersistConfig};

/// Subdirectory of `data_dir` holding one queue directory per exporter.
pub const QUEUE_SUBDIR: &str = "queue";

/// One configured exporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterEntry {
    /// `grpc://HOST:PORT` or `http://HOST:PORT[/PATH]`.
    pub url: String,
    /// The queue: in memory unless a directory is given here or `data_dir` is set.
    pub queue: QueueSettings,
}

/// `exporters[i].queue`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// Persist the queue in this directory (one per exporter). Without it the queue
    /// persists in `DATA_DIR/queue/<url as a file name>` when `data_dir` is set, and stays in
    /// memory otherwise.
    pub dir: Option<PathBuf>,
    /// Bound of a persistent queue: bytes of records not yet acknowledged (1 GiB).
    pub max_bytes: u64,
    /// `fsync` every append: survive power loss, not only a crash, at a disk flush per batch.
    pub fsync: bool,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            dir: None,
            max_bytes: DEFAULT_MAX_BYTES,
            fsync: false,
        }
    }
}

impl From<String> for ExporterEntry {
    fn from(url: String) -> Self {
        Self {
            url,
            queue: QueueSettings::default(),
        }
    }
}

impl ExporterEntry {
    /// The exporter ready to start; `data_dir` gives a queue directory when none is set.
    pub fn resolve(&self, data_dir: Option<&Path>) -> Result<ExporterConfig, ExporterUrlError> {
        let mut config = ExporterConfig::parse(&self.url)?;
        let dir = self
            .queue
            .dir
            .clone()
            .or_else(|| data_dir.map(|data| data.join(QUEUE_SUBDIR).join(dir_name(&self.url))));
        config.persist = dir.map(|dir| PersistConfig {
            dir,
            max_bytes: self.queue.max_bytes,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            fsync: self.queue.fsync,
        });
        Ok(config)
    }
}

/// `url` as a file name: every character but ASCII letters, digits, `.` and `-` becomes `_`.
pub fn dir_name(url: &str) -> String {
    url.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The map form, with unknown keys refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Full {
    url: String,
    #[serde(default)]
    queue: QueueSettings,
}

impl<'de> Deserialize<'de> for ExporterEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;

        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = ExporterEntry;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an exporter URL or a map with `url` and `queue`")
            }

            fn visit_str<E: de::Error>(self, url: &str) -> Result<Self::Value, E> {
                Ok(ExporterEntry::from(url.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let full = Full::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ExporterEntry {
                    url: full.url,
                    queue: full.queue,
                })
            }
        }

        deserializer.deserialize_any(EntryVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(yaml: &str) -> Result<Vec<ExporterEntry>, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn a_url_or_a_map() {
        let got = entries(
            "- grpc://a:1\n- url: http://b:2\n  queue: { dir: /q/b, max_bytes: 10, fsync: true }\n",
        )
        .unwrap();
        assert_eq!(got[0], ExporterEntry::from("grpc://a:1".to_owned()));
        assert_eq!(got[1].url, "http://b:2");
        assert_eq!(
            got[1].queue,
            QueueSettings {
                dir: Some("/q/b".into()),
                max_bytes: 10,
                fsync: true
            }
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = entries("- url: grpc://a:1\n  queue: { directory: /q }\n").unwrap_err();
        assert!(err.contains("unknown field `directory`"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        let err = entries("- { url: grpc://a:1, headers: {} }\n").unwrap_err();
        assert!(err.contains("unknown field `headers`"), "{err}");
    }

    #[test]
    fn data_dir_gives_each_exporter_a_queue_directory() {
        let entry = ExporterEntry::from("grpc://127.0.0.1:4317".to_owned());
        assert_eq!(entry.resolve(None).unwrap().persist, None);
        let persist = entry
            .resolve(Some(Path::new("/data")))
            .unwrap()
            .persist
            .unwrap();
        assert_eq!(persist.dir, Path::new("/data/queue/grpc___127.0.0.1_4317"));
        assert!(!persist.fsync);
        let own = ExporterEntry {
            queue: QueueSettings {
                dir: Some("/own".into()),
                ..QueueSettings::default()
            },
            ..entry
        };
        let persist = own
            .resolve(Some(Path::new("/data")))
            .unwrap()
            .persist
            .unwrap();
        assert_eq!(persist.dir, Path::new("/own"));
    }
}
