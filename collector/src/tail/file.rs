//! The `--tail-policies` file, watched: read at start, then checked every second; an edit
//! that parses and validates replaces the policy set in force (traces in flight are decided
//! by the new set), an invalid edit is logged once and changes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use sampler::tail::{TailPolicyDocument, TailPolicySet};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::strategy::FileHash;

/// How often the file is checked.
pub const POLICY_FILE_POLL: Duration = Duration::from_secs(1);

/// Why the policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// It cannot be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// It is not a valid tail policy document.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line when YAML says it.
        message: String,
    },
}

/// Reads and validates the policy document at `path`.
pub fn load(path: &Path) -> Result<(TailPolicySet, FileHash), PolicyFileError> {
    let bytes = std::fs::read(path).map_err(|error| PolicyFileError::Read {
        path: path.to_owned(),
        error,
    })?;
    let invalid = |message: String| PolicyFileError::Invalid {
        path: path.to_owned(),
        message,
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| invalid(e.to_string()))?;
    let document: TailPolicyDocument =
        serde_yaml_ng::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let set = TailPolicySet::from_document(document).map_err(|e| invalid(e.to_string()))?;
    Ok((set, FileHash::of(&bytes)))
}

/// Watches `path` until `stop` turns true, replacing `policies` on every valid edit.
pub fn spawn_watcher(
    path: PathBuf,
    mut applied: FileHash,
    policies: Arc<ArcSwap<TailPolicySet>>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(POLICY_FILE_POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut refused = None;
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let hash = FileHash::of(&bytes);
            if hash == applied || Some(hash) == refused {
                continue;
            }
            match load(&path) {
                Ok((set, hash)) => {
                    let names: Vec<String> = set.policy_names().map(str::to_owned).collect();
                    policies.store(Arc::new(set));
                    applied = hash;
                    refused = None;
                    tracing::info!(path = %path.display(), policies = ?names, "tail policies reloaded");
                }
                Err(error) => {
                    refused = Some(hash);
                    tracing::warn!(%error, "tail policy file edit refused; the policies in force stay");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_edit_replaces_the_set_and_an_invalid_one_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("meshtrace-tail-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tail.yaml");
        std::fs::write(&path, "policies: [{name: a, type: always_sample}]\n").unwrap();
        let (set, hash) = load(&path).unwrap();
        let policies = Arc::new(ArcSwap::from_pointee(set));
        let (stop, stopped) = watch::channel(false);
        let task = spawn_watcher(path.clone(), hash, Arc::clone(&policies), stopped);
        let names = || {
            policies
                .load()
                .policy_names()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };

        std::fs::write(&path, "policies: [{name: b, type: always_sample}]\n").unwrap();
        tokio::time::sleep(POLICY_FILE_POLL * 2).await;
        assert_eq!(names(), ["b"]);

        std::fs::write(&path, "policies: [{name: c, type: no_such_type}]\n").unwrap();
        tokio::time::sleep(POLICY_FILE_POLL * 2).await;
        assert_eq!(names(), ["b"]);

        let _ = stop.send(true);
        task.await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
