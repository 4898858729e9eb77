//! The strategy store: the applied strategies document, resolved per service, versioned, in an
//! `ArcSwap` (readers never wait), persisted under the data directory, and announced to
//! long-pollers through a `watch` of the version.
//!
//! Writers (the control API and the file watcher) are serialised by a mutex that is never held
//! across an `.await`: every write is synchronous, validates the whole new document, persists
//! it, then swaps it in. A write that fails to validate or persist changes nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use tokio::sync::watch;

use super::document::{ParseError, ServiceEntry, StrategiesDocument, parse};
use super::persist::{self, FileHash, PersistError, PersistedState};
use super::resolve::{ValidationError, validate_entry};
use super::state::{ChangeOrigin, StrategyState, now_unix_ms};

/// Where the store reads and keeps its strategies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// The Jaeger strategies file (`--strategies`), watched for edits.
    pub strategies_file: Option<PathBuf>,
    /// The data directory (`--data-dir`); the applied state lives in `strategies.json` there.
    /// In memory only when absent.
    pub data_dir: Option<PathBuf>,
}

/// Why the store cannot start or a change cannot apply.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The strategies file cannot be read.
    #[error("cannot read strategies file {path}: {error}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The operating system's answer.
        error: std::io::Error,
    },
    /// The strategies file is not a strategies document.
    #[error("strategies file {path}: {error}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: ParseError,
    },
    /// The document (from a file, the API or the data directory) is not valid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The data directory cannot be read or written.
    #[error("persisted strategies: {0}")]
    Persist(#[from] PersistError),
}

/// The strategies every server reads and the control API changes.
#[derive(Debug)]
pub struct StrategyStore {
    state: ArcSwap<StrategyState>,
    /// Serialises writers; held only inside synchronous methods.
    writer: Mutex<()>,
    changes: watch::Sender<u64>,
    persist_path: Option<PathBuf>,
    file: Option<PathBuf>,
}

/// Reads and hashes a strategies file.
pub(super) fn read_file(path: &Path) -> Result<(StrategiesDocument, FileHash), StoreError> {
    let bytes = std::fs::read(path).map_err(|error| StoreError::ReadFile {
        path: path.to_owned(),
        error,
    })?;
    let document = parse(&bytes).map_err(|error| StoreError::ParseFile {
        path: path.to_owned(),
        error,
    })?;
    Ok((document, FileHash::of(&bytes)))
}

impl StrategyStore {
    /// Loads the state to start from. With a data directory holding a persisted state, that
    /// state wins unless `--strategies` names a file whose content differs from the one the
    /// state descends from (the file was edited, or is new): then the file applies. Anything
    /// unreadable or invalid is an error, so a typo never silently resets sampling.
    pub fn open(options: StoreOptions) -> Result<Self, StoreError> {
        let persist_path = options.data_dir.as_deref().map(persist::state_path);
        let persisted = match &persist_path {
            Some(path) => persist::load(path)?,
            None => None,
        };
        let file = match &options.strategies_file {
            Some(path) => Some((path.clone(), read_file(path)?)),
            None => None,
        };
        let (state, origin) = match (persisted, file) {
            (Some(p), file)
                if file
                    .as_ref()
                    .is_none_or(|(_, (_, hash))| p.file_hash == Some(*hash)) =>
            {
                let state =
                    StrategyState::new(p.version, p.updated_unix_ms, p.strategies, p.file_hash)?;
                (state, ChangeOrigin::DataDir)
            }
            (persisted, Some((path, (document, hash)))) => {
                let version = persisted.map_or(1, |p| p.version + 1);
                let state = StrategyState::new(version, now_unix_ms(), document, Some(hash))?;
                (state, ChangeOrigin::File(path))
            }
            (_, None) => {
                let state =
                    StrategyState::new(1, now_unix_ms(), StrategiesDocument::default(), None)?;
                (state, ChangeOrigin::DataDir)
            }
        };
        if let (Some(path), ChangeOrigin::File(_)) = (&persist_path, &origin) {
            persist::store(path, &persisted_form(&state))?;
        }
        tracing::info!(
            version = state.version,
            updated_unix_ms = state.updated_unix_ms,
            origin = %origin,
            services = state.document.service_strategies.len(),
            "sampling strategies loaded"
        );
        let (changes, _) = watch::channel(state.version);
        Ok(Self {
            state: ArcSwap::from_pointee(state),
            writer: Mutex::new(()),
            changes,
            persist_path,
            file: options.strategies_file,
        })
    }

    /// A store in memory only, starting from `document` (tests, the demo).
    pub fn in_memory(document: StrategiesDocument) -> Result<Self, StoreError> {
        let state = StrategyState::new(1, now_unix_ms(), document, None)?;
        let (changes, _) = watch::channel(state.version);
        Ok(Self {
            state: ArcSwap::from_pointee(state),
            writer: Mutex::new(()),
            changes,
            persist_path: None,
            file: None,
        })
    }

    /// The applied state.
    pub fn current(&self) -> Arc<StrategyState> {
        self.state.load_full()
    }

    /// The version, updated after every change (the new state is readable by then).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The watched `--strategies` file.
    pub fn strategies_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Sets (creates or replaces) the entry of `entry.service`.
    pub fn put_service(
        &self,
        entry: ServiceEntry,
        origin: &ChangeOrigin,
    ) -> Result<Arc<StrategyState>, StoreError> {
        validate_entry(&entry)?;
        let what = format!(
            "set service {:?}: {:?} {}",
            entry.service, entry.kind, entry.param
        );
        self.apply(origin, &what, None, |doc| {
            let list = &mut doc.service_strategies;
            match list.iter_mut().find(|e| e.service == entry.service) {
                Some(slot) => *slot = entry,
                None => list.push(entry),
            }
            true
        })
        .map(|state| state.unwrap_or_else(|| self.current()))
    }

    /// Removes the entry of `service`; `Ok(None)` when it had none.
    pub fn delete_service(
        &self,
        service: &str,
        origin: &ChangeOrigin,
    ) -> Result<Option<Arc<StrategyState>>, StoreError> {
        let what = format!("unset service {service:?}");
        self.apply(origin, &what, None, |doc| {
            let before = doc.service_strategies.len();
            doc.service_strategies.retain(|e| e.service != service);
            doc.service_strategies.len() != before
        })
    }

    /// Replaces the whole document.
    pub fn replace(
        &self,
        document: StrategiesDocument,
        origin: &ChangeOrigin,
    ) -> Result<Arc<StrategyState>, StoreError> {
        self.apply(origin, "replace all strategies", None, |doc| {
            *doc = document;
            true
        })
        .map(|state| state.unwrap_or_else(|| self.current()))
    }

    /// Applies the file's `document` (its content hashes to `hash`) when it differs from the
    /// content the state descends from; `Ok(None)` when it does not.
    pub(super) fn apply_file(
        &self,
        path: &Path,
        document: StrategiesDocument,
        hash: FileHash,
    ) -> Result<Option<Arc<StrategyState>>, StoreError> {
        if self.current().file_hash == Some(hash) {
            return Ok(None);
        }
        let origin = ChangeOrigin::File(path.to_owned());
        self.apply(&origin, "strategies file edited", Some(hash), |doc| {
            *doc = document;
            true
        })
    }

    /// Validates, persists and swaps in the document `change` makes of the current one;
    /// `change` returns false to say there is nothing to do.
    fn apply(
        &self,
        origin: &ChangeOrigin,
        what: &str,
        file_hash: Option<FileHash>,
        change: impl FnOnce(&mut StrategiesDocument) -> bool,
    ) -> Result<Option<Arc<StrategyState>>, StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.state.load_full();
        let mut document = current.document.clone();
        if !change(&mut document) {
            return Ok(None);
        }
        let next = Arc::new(StrategyState::new(
            current.version + 1,
            now_unix_ms().max(current.updated_unix_ms),
            document,
            file_hash.or(current.file_hash),
        )?);
        if let Some(path) = &self.persist_path {
            persist::store(path, &persisted_form(&next))?;
        }
        self.state.store(Arc::clone(&next));
        self.changes.send_replace(next.version);
        tracing::info!(
            version = next.version,
            updated_unix_ms = next.updated_unix_ms,
            origin = %origin,
            change = what,
            "sampling strategies changed"
        );
        Ok(Some(next))
    }
}

fn persisted_form(state: &StrategyState) -> PersistedState {
    PersistedState {
        version: state.version,
        updated_unix_ms: state.updated_unix_ms,
        file_hash: state.file_hash,
        strategies: state.document.clone(),
    }
}
