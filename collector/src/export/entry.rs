//! The `queue` of a config-file exporter entry ([`ExporterSettings`]), and how an entry becomes
//! a runtime [`ExporterConfig`] with its queue directory.
//!
//! ```yaml
//! exporters:
//!   - grpc://jaeger:4317
//!   - url: http://tempo:4318
//!     queue: { dir: /var/lib/meshtrace/queue/tempo, max_bytes: 1073741824, fsync: false }
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::config::{ExporterConfig, ExporterConfigError};
use super::persist::{DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, PersistConfig};
use super::settings::ExporterSettings;

/// Subdirectory of `data_dir` holding one queue directory per exporter.
pub const QUEUE_SUBDIR: &str = "queue";

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

impl ExporterSettings {
    /// The exporter ready to start; `data_dir` gives a queue directory when none is set.
    pub fn resolve(&self, data_dir: Option<&Path>) -> Result<ExporterConfig, ExporterConfigError> {
        let mut config = ExporterConfig::from_settings(self)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(yaml: &str) -> Result<Vec<ExporterSettings>, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn a_url_or_a_map() {
        let got = entries(
            "- grpc://a:1\n- url: http://b:2\n  queue: { dir: /q/b, max_bytes: 10, fsync: true }\n",
        )
        .unwrap();
        assert_eq!(got[0], ExporterSettings::from_url("grpc://a:1"));
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
        let err = entries("- { url: grpc://a:1, header: {} }\n").unwrap_err();
        assert!(err.contains("unknown field `header`"), "{err}");
    }

    #[test]
    fn data_dir_gives_each_exporter_a_queue_directory() {
        let entry = ExporterSettings::from_url("grpc://127.0.0.1:4317");
        assert_eq!(entry.resolve(None).unwrap().persist, None);
        let persist = entry
            .resolve(Some(Path::new("/data")))
            .unwrap()
            .persist
            .unwrap();
        assert_eq!(persist.dir, Path::new("/data/queue/grpc___127.0.0.1_4317"));
        assert!(!persist.fsync);
        let own = ExporterSettings {
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
