//! The collector's sampling strategies: Jaeger's strategies-file format, resolved per service
//! exactly as Jaeger's static provider does, validated whole, versioned, persisted under the
//! data directory, reloaded when the `--strategies` file is edited, and announced to
//! long-pollers. The servers (`sampling_api`, `control`) only read it or call its writers.

mod document;
mod persist;
mod resolve;
mod state;
mod store;
mod watcher;

pub use document::{
    OperationEntry, ParseError, ServiceEntry, StrategiesDocument, StrategyKind, parse,
};
pub use persist::{FileHash, PersistError, PersistedState, STATE_FILE};
pub use resolve::{JAEGER_DEFAULT_PROBABILITY, Resolved, ValidationError, resolve};
pub use state::{ChangeOrigin, StrategyState, now_unix_ms};
pub use store::{StoreError, StoreOptions, StrategyStore};
pub use watcher::{FILE_POLL_INTERVAL, FileCheck, FilePoller, spawn_file_watcher};

#[cfg(test)]
mod tests;

/// A fresh, empty directory under the system's temp dir for one test.
#[cfg(test)]
pub(crate) fn test_dir(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "meshtrace-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
