//! The sidecar's current head-sampling strategy, swappable at runtime without a lock on the
//! request path: the configured default, a local override (admin `PUT /sampling`), or (later)
//! the strategy the collector pushes. Each is a Jaeger remote-sampling response, so the
//! sidecar speaks the same format as every Jaeger SDK.

use std::sync::Arc;

use arc_swap::ArcSwap;
use sampler::HeadSampler;
use sampler::strategy::{SamplingStrategyResponse, StrategyError};
use serde::Serialize;

/// Where the current strategy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `--sampling-probability` (or its config key).
    Default,
    /// The admin API's `PUT /sampling`.
    Local,
}

/// A strategy and the sampler built from it.
#[derive(Debug)]
pub struct ActiveStrategy {
    /// The strategy as Jaeger writes it.
    pub strategy: SamplingStrategyResponse,
    /// Where it came from.
    pub source: Source,
    /// Bumped on every change.
    pub version: u64,
    /// The sampler the request path uses.
    pub sampler: HeadSampler,
}

/// The strategy in force, read on every request, replaced whole.
#[derive(Debug)]
pub struct SamplingControl {
    current: ArcSwap<ActiveStrategy>,
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

impl SamplingControl {
    /// Starts with `strategy` as the default.
    pub fn new(strategy: SamplingStrategyResponse) -> Result<Self, StrategyError> {
        let sampler = HeadSampler::from_strategy(&strategy)?;
        let active = ActiveStrategy {
            strategy,
            source: Source::Default,
            version: 1,
            sampler,
        };
        Ok(Self {
            current: ArcSwap::from_pointee(active),
        })
    }

    /// The strategy in force (a cheap reference-counted load).
    pub fn current(&self) -> Arc<ActiveStrategy> {
        self.current.load_full()
    }

    /// Validates `strategy` whole, then puts it in force; the old one stays on error.
    pub fn replace(
        &self,
        strategy: SamplingStrategyResponse,
        source: Source,
    ) -> Result<u64, StrategyError> {
        let sampler = HeadSampler::from_strategy(&strategy)?;
        let previous = self.current.load();
        let version = previous.version + 1;
        self.current.store(Arc::new(ActiveStrategy {
            strategy,
            source,
            version,
            sampler,
        }));
        tracing::info!(?source, version, "head-sampling strategy replaced");
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_validates_whole_and_bumps_the_version() {
        let control = SamplingControl::new(SamplingStrategyResponse::probabilistic(0.1)).unwrap();
        assert_eq!(control.current().version, 1);
        assert!(
            control
                .replace(SamplingStrategyResponse::probabilistic(1.5), Source::Local)
                .is_err()
        );
        assert_eq!(control.current().version, 1);
        assert_eq!(control.current().sampler.probability(), Some(0.1));
        let v = control
            .replace(SamplingStrategyResponse::probabilistic(1.0), Source::Local)
            .unwrap();
        assert_eq!(v, 2);
        assert_eq!(control.current().source, Source::Local);
        assert_eq!(control.current().sampler.probability(), Some(1.0));
    }
}
