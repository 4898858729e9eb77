//! Watches the `--strategies` file: every second, a `stat`; when the modification time or
//! size moved, a read and a hash; when the content differs from what the applied state
//! descends from, the file is validated and applies whole (an edit of the file wins over
//! changes made through the API, as the SPEC says). An invalid edit is logged once and
//! changes nothing. Polling needs no extra crate and works on every file system, including
//! Kubernetes ConfigMap volumes (whose files change by symlink swap).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::document::parse;
use super::persist::FileHash;
use super::store::StrategyStore;

/// How often the file is checked.
pub const FILE_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCheck {
    /// Nothing new.
    Unchanged,
    /// The file applied; the new version.
    Applied(u64),
    /// The file (or this content of it) cannot be used; logged.
    Rejected,
}

/// One file's polling state.
#[derive(Debug)]
pub struct FilePoller {
    path: PathBuf,
    seen: Option<(SystemTime, u64)>,
    rejected: Option<FileHash>,
    unreadable: bool,
}

impl FilePoller {
    /// Polls `path`; the first check reads it.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            seen: None,
            rejected: None,
            unreadable: false,
        }
    }

    /// Checks the file once and applies it to `store` when its content changed.
    pub fn check(&mut self, store: &StrategyStore) -> FileCheck {
        let stamp = std::fs::metadata(&self.path)
            .and_then(|m| Ok((m.modified()?, m.len())))
            .and_then(|stamp| std::fs::read(&self.path).map(|bytes| (stamp, bytes)));
        let (stamp, bytes) = match stamp {
            Ok(found) => found,
            Err(error) => {
                if !self.unreadable {
                    tracing::warn!(path = %self.path.display(), %error, "cannot read strategies file; keeping the applied strategies");
                }
                self.unreadable = true;
                self.seen = None;
                return FileCheck::Rejected;
            }
        };
        self.unreadable = false;
        if self.seen == Some(stamp) {
            return FileCheck::Unchanged;
        }
        self.seen = Some(stamp);
        let hash = FileHash::of(&bytes);
        if self.rejected == Some(hash) {
            return FileCheck::Rejected;
        }
        let applied = parse(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|document| {
                store
                    .apply_file(&self.path, document, hash)
                    .map_err(|e| e.to_string())
            });
        match applied {
            Ok(Some(state)) => {
                self.rejected = None;
                FileCheck::Applied(state.version)
            }
            Ok(None) => FileCheck::Unchanged,
            Err(error) => {
                tracing::error!(path = %self.path.display(), %error, "strategies file edited but invalid; keeping the applied strategies");
                self.rejected = Some(hash);
                FileCheck::Rejected
            }
        }
    }
}

/// Spawns the watcher of the store's `--strategies` file (none without one); it stops when
/// `shutdown` turns true or its sender is dropped.
pub fn spawn_file_watcher(
    store: Arc<StrategyStore>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let mut poller = FilePoller::new(store.strategies_file()?.to_owned());
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    poller.check(&store);
                }
                stop = shutdown.wait_for(|stop| *stop) => {
                    let _ = stop;
                    return;
                }
            }
        }
    }))
}
