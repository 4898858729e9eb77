//! The sidecar's head-sampling strategy, swappable at runtime without a lock on the request
//! path. Three layers, the first present wins: a local override (admin `PUT /sampling`), the
//! strategy the collector pushes (`--control`), the configured default
//! (`--sampling-probability`). Each is a Jaeger remote-sampling response, so the sidecar speaks
//! the same format as every Jaeger SDK.

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, Guard};
use sampler::HeadSampler;
use sampler::strategy::{SamplingStrategyResponse, StrategyError};
use serde::Serialize;

/// Where the strategy in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `--sampling-probability` (or its config key).
    Default,
    /// Pushed by the collector's control API.
    Remote,
    /// The admin API's `PUT /sampling`.
    Local,
}

/// The strategy in force and the sampler built from it.
#[derive(Debug)]
pub struct ActiveStrategy {
    /// The strategy as Jaeger writes it.
    pub strategy: SamplingStrategyResponse,
    /// Where it came from.
    pub source: Source,
    /// Bumped on every change of any layer.
    pub version: u64,
    /// The sampler the request path uses.
    pub sampler: HeadSampler,
}

/// The three layers; only written under the lock, never read on the request path.
#[derive(Debug)]
struct Layers {
    default: SamplingStrategyResponse,
    remote: Option<SamplingStrategyResponse>,
    local: Option<SamplingStrategyResponse>,
    version: u64,
}

impl Layers {
    fn effective(&self) -> (&SamplingStrategyResponse, Source) {
        match (&self.local, &self.remote) {
            (Some(local), _) => (local, Source::Local),
            (None, Some(remote)) => (remote, Source::Remote),
            (None, None) => (&self.default, Source::Default),
        }
    }
}

/// The strategy in force, read on every request, replaced whole.
#[derive(Debug)]
pub struct SamplingControl {
    current: ArcSwap<ActiveStrategy>,
    layers: Mutex<Layers>,
}

/// What `GET /sampling` answers.
#[derive(Debug, Serialize)]
pub struct SamplingView<'a> {
    /// Where the strategy came from.
    pub source: Source,
    /// Bumped on every change.
    pub version: u64,
    /// The strategy, in Jaeger's remote-sampling format.
    pub strategy: &'a SamplingStrategyResponse,
}

fn activate(layers: &Layers) -> Result<ActiveStrategy, StrategyError> {
    let (strategy, source) = layers.effective();
    Ok(ActiveStrategy {
        sampler: HeadSampler::from_strategy(strategy)?,
        strategy: strategy.clone(),
        source,
        version: layers.version,
    })
}

impl SamplingControl {
    /// Starts with `default` in force.
    pub fn new(default: SamplingStrategyResponse) -> Result<Self, StrategyError> {
        let layers = Layers {
            default,
            remote: None,
            local: None,
            version: 1,
        };
        let active = activate(&layers)?;
        Ok(Self {
            current: ArcSwap::from_pointee(active),
            layers: Mutex::new(layers),
        })
    }

    /// The strategy in force: a cheap guard for the request path.
    pub fn load(&self) -> Guard<Arc<ActiveStrategy>> {
        self.current.load()
    }

    /// The strategy in force, owned.
    pub fn current(&self) -> Arc<ActiveStrategy> {
        self.current.load_full()
    }

    /// Sets the local override (validated whole first; the old state stays on error).
    pub fn set_local(&self, strategy: SamplingStrategyResponse) -> Result<u64, StrategyError> {
        self.update(|layers| layers.local = Some(strategy))
    }

    /// Removes the local override: the remote strategy, or the default, is in force again.
    pub fn clear_local(&self) -> Result<u64, StrategyError> {
        self.update(|layers| layers.local = None)
    }

    /// Sets the strategy the collector pushed (validated whole first).
    pub fn set_remote(&self, strategy: SamplingStrategyResponse) -> Result<u64, StrategyError> {
        self.update(|layers| layers.remote = Some(strategy))
    }

    /// Removes the collector's strategy (it has none for this service any more): the local
    /// override, or the default, is in force again.
    pub fn clear_remote(&self) -> Result<u64, StrategyError> {
        self.update(|layers| layers.remote = None)
    }

    fn update(&self, change: impl FnOnce(&mut Layers)) -> Result<u64, StrategyError> {
        let mut layers = self.layers.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = Layers {
            default: layers.default.clone(),
            remote: layers.remote.clone(),
            local: layers.local.clone(),
            version: layers.version + 1,
        };
        change(&mut next);
        // Every layer must build, not only the one in force: a bad remote strategy must not
        // wait behind a local override to fail later.
        for strategy in [&next.remote, &next.local].into_iter().flatten() {
            HeadSampler::from_strategy(strategy)?;
        }
        let active = activate(&next)?;
        tracing::info!(source = ?active.source, version = active.version, "head-sampling strategy changed");
        self.current.store(Arc::new(active));
        *layers = next;
        Ok(layers.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rate: f64) -> SamplingStrategyResponse {
        SamplingStrategyResponse::probabilistic(rate)
    }

    #[test]
    fn layers_local_beats_remote_beats_default() {
        let control = SamplingControl::new(p(0.1)).unwrap();
        let state = || {
            let c = control.current();
            (c.source, c.version, c.sampler.probability())
        };
        assert_eq!(state(), (Source::Default, 1, Some(0.1)));
        assert_eq!(control.set_remote(p(0.5)).unwrap(), 2);
        assert_eq!(state(), (Source::Remote, 2, Some(0.5)));
        control.set_local(p(1.0)).unwrap();
        assert_eq!(state(), (Source::Local, 3, Some(1.0)));
        control.set_remote(p(0.2)).unwrap();
        assert_eq!(state(), (Source::Local, 4, Some(1.0)));
        control.clear_local().unwrap();
        assert_eq!(state(), (Source::Remote, 5, Some(0.2)));
        control.clear_remote().unwrap();
        assert_eq!(state(), (Source::Default, 6, Some(0.1)));
    }

    #[test]
    fn invalid_strategies_change_nothing() {
        let control = SamplingControl::new(p(0.1)).unwrap();
        control.set_local(p(1.0)).unwrap();
        assert!(control.set_remote(p(1.5)).is_err());
        assert!(control.set_local(p(-1.0)).is_err());
        control.clear_local().unwrap();
        let c = control.current();
        assert_eq!(
            (c.source, c.version, c.sampler.probability()),
            (Source::Default, 3, Some(0.1))
        );
    }
}
