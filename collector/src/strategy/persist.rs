//! The applied strategies on disk: `DATA_DIR/strategies.json`, written atomically (a temporary
//! file in the same directory, flushed, then renamed over the old one), read once at start.
//!
//! Next to the document it records the hash of the `--strategies` file it descends from, so
//! that a restart can tell "the file is unchanged: keep the API's changes" from "the file was
//! edited: apply the file" (SPEC, Control API).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::document::StrategiesDocument;

/// Name of the persisted state inside the data directory.
pub const STATE_FILE: &str = "strategies.json";

/// What is written to [`STATE_FILE`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistedState {
    /// The version of the applied state.
    pub version: u64,
    /// When it was applied, in milliseconds since the Unix epoch.
    pub updated_unix_ms: u64,
    /// [`FileHash`] of the `--strategies` file the state descends from, if any.
    #[serde(default)]
    pub file_hash: Option<FileHash>,
    /// The applied document.
    pub strategies: StrategiesDocument,
}

/// A stable hash of a file's bytes (FNV-1a, 64 bits, written as 16 hex digits): stable across
/// builds and Rust versions, unlike `std`'s hasher, and enough to notice an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct FileHash(pub u64);

impl FileHash {
    /// Hashes `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        Self(
            bytes
                .iter()
                .fold(OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME)),
        )
    }
}

impl From<FileHash> for String {
    fn from(hash: FileHash) -> Self {
        format!("fnv1a64:{:016x}", hash.0)
    }
}

impl TryFrom<String> for FileHash {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.strip_prefix("fnv1a64:")
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .map(FileHash)
            .ok_or_else(|| format!("invalid file hash {text:?}"))
    }
}

/// Why the persisted state cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// A file system operation failed.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's answer.
        error: io::Error,
    },
    /// The file is not a state this version wrote.
    #[error("{path}: unreadable persisted strategies: {error}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What serde said.
        error: serde_json::Error,
    },
}

/// The state file of `data_dir`.
pub fn state_path(data_dir: &Path) -> PathBuf {
    data_dir.join(STATE_FILE)
}

/// Reads the state file; `None` when there is none yet.
pub fn load(path: &Path) -> Result<Option<PersistedState>, PersistError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(path, error)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|error| PersistError::Corrupt {
            path: path.to_owned(),
            error,
        })
}

/// Writes `state` to `path` atomically: readers (and a crash) see the old file or the new
/// one, never a mix.
pub fn store(path: &Path, state: &PersistedState) -> Result<(), PersistError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(state).map_err(|error| PersistError::Corrupt {
        path: path.to_owned(),
        error,
    })?;
    let write = || -> io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()
    };
    write().map_err(|e| io_error(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, error: io::Error) -> PersistError {
    PersistError::Io {
        path: path.to_owned(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::document::ServiceEntry;
    use crate::strategy::test_dir;

    #[test]
    fn round_trips_and_replaces_atomically() {
        let dir = test_dir("persist");
        let path = state_path(&dir);
        assert_eq!(load(&path).unwrap(), None);
        let mut state = PersistedState {
            version: 3,
            updated_unix_ms: 1_700_000_000_000,
            file_hash: Some(FileHash::of(b"{}")),
            strategies: StrategiesDocument {
                default_strategy: None,
                service_strategies: vec![ServiceEntry::probabilistic("a", 0.5)],
            },
        };
        store(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap().as_ref(), Some(&state));
        state.version = 4;
        store(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap().unwrap().version, 4);
        assert!(!path.with_extension("json.tmp").exists());
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"file_hash\": \"fnv1a64:"), "{text}");

        fs::write(&path, b"not json").unwrap();
        assert!(matches!(load(&path), Err(PersistError::Corrupt { .. })));
    }

    #[test]
    fn hash_is_fnv1a_64() {
        // Reference values of FNV-1a 64.
        assert_eq!(FileHash::of(b"").0, 0xcbf2_9ce4_8422_2325);
        assert_eq!(FileHash::of(b"a").0, 0xaf63_dc4c_8601_ec8c);
        let text = String::from(FileHash::of(b"a"));
        assert_eq!(FileHash::try_from(text), Ok(FileHash::of(b"a")));
        assert!(FileHash::try_from("md5:00".to_owned()).is_err());
    }
}
