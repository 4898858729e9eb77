//! One applied state of the strategy store, and who changed it.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::document::{ServiceEntry, StrategiesDocument};
use super::persist::FileHash;
use super::resolve::{Resolved, ValidationError, resolve};

/// Who made a change, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOrigin {
    /// The control API; `who` names the caller (a token id, or `anonymous` without a token).
    Api {
        /// The caller.
        who: String,
    },
    /// The `--strategies` file, read at start or after an edit.
    File(PathBuf),
    /// The data directory, at start.
    DataDir,
    /// Adaptive sampling, from observed traffic.
    Adaptive,
}

impl fmt::Display for ChangeOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api { who } => write!(f, "api ({who})"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::DataDir => f.write_str("data dir"),
            Self::Adaptive => f.write_str("adaptive sampling"),
        }
    }
}

/// One applied state, immutable; replaced whole on every change.
#[derive(Debug, Clone)]
pub struct StrategyState {
    /// Bumped by one on every change; persisted, so it keeps growing across restarts with a
    /// data directory.
    pub version: u64,
    /// When this state was applied, in milliseconds since the Unix epoch.
    pub updated_unix_ms: u64,
    /// The document, as a strategies file would hold it.
    pub document: StrategiesDocument,
    /// Every service's response.
    pub resolved: Resolved,
    pub(super) file_hash: Option<FileHash>,
}

impl StrategyState {
    pub(super) fn new(
        version: u64,
        updated_unix_ms: u64,
        document: StrategiesDocument,
        file_hash: Option<FileHash>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            version,
            updated_unix_ms,
            resolved: resolve(&document)?,
            document,
            file_hash,
        })
    }

    /// `updated_unix_ms` as a time.
    pub fn updated(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.updated_unix_ms)
    }

    /// The explicit entry of `service`, if any.
    pub fn service_entry(&self, service: &str) -> Option<&ServiceEntry> {
        self.document
            .service_strategies
            .iter()
            .find(|e| e.service == service)
    }
}

/// Milliseconds since the Unix epoch now (0 if the clock is before 1970).
pub fn now_unix_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}
