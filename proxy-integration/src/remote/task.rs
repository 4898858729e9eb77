//! The task that keeps the sidecar's remote strategy in step with the collector: it holds a
//! long-poll, applies each new strategy through [`SamplingControl::set_remote`] (or clears it
//! when the collector has none for this service), keeps the last one while the collector is
//! unreachable, backs off between failures, and stops on the shutdown signal.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use sampler::strategy::SamplingStrategyResponse;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::client::{PollError, RemoteError, WatchClient, WatchResponse};
use crate::sampling::SamplingControl;

/// Shortest time between two polls answered with the version we already had (a collector
/// that answers at once without a change would otherwise be polled in a loop).
const MIN_REPOLL: Duration = Duration::from_millis(100);

/// Starts following the collector at `control_url` (its `--http` address) for `service`.
/// Must be called within a Tokio runtime. The task ends when `shutdown` turns true or its
/// sender is dropped.
pub fn spawn_remote_sampling(
    control_url: &str,
    service: &str,
    sampling: Arc<SamplingControl>,
    shutdown: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, RemoteError> {
    let client = WatchClient::new(control_url, service)?;
    tracing::info!(
        control = control_url,
        service,
        "following the collector's sampling strategies"
    );
    Ok(tokio::spawn(run(client, sampling, shutdown)))
}

/// What the poller last applied, to skip repeats.
#[derive(Debug, Default)]
struct Follower {
    version: Option<u64>,
    applied: Option<Option<SamplingStrategyResponse>>,
    failing: bool,
}

impl Follower {
    fn apply(&mut self, answer: WatchResponse, sampling: &SamplingControl) {
        self.version = Some(answer.version);
        if self.applied.as_ref() == Some(&answer.strategy) {
            return;
        }
        let result = match &answer.strategy {
            Some(strategy) => sampling.set_remote(strategy.clone()),
            None => sampling.clear_remote(),
        };
        match result {
            Ok(local_version) => {
                tracing::info!(
                    collector_version = answer.version,
                    local_version,
                    remote = answer.strategy.is_some(),
                    "applied the collector's sampling strategy"
                );
            }
            Err(error) => {
                tracing::error!(collector_version = answer.version, %error, "the collector sent an unusable strategy; keeping the current one");
            }
        }
        // Remembered even when refused, so a bad strategy is reported once.
        self.applied = Some(answer.strategy);
    }

    fn failed(&mut self, error: &PollError) {
        if !self.failing {
            tracing::warn!(%error, "cannot poll the collector for sampling strategies; keeping the current one and retrying");
        }
        self.failing = true;
    }

    fn recovered(&mut self) {
        if self.failing {
            tracing::info!("reached the collector for sampling strategies again");
        }
        self.failing = false;
    }
}

async fn run(
    client: WatchClient,
    sampling: Arc<SamplingControl>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut follower = Follower::default();
    let mut backoff = Backoff::default();
    loop {
        let asked = follower.version;
        let wait = tokio::select! {
            answer = client.poll(asked) => match answer {
                Ok(answer) => {
                    follower.recovered();
                    backoff.reset();
                    let unchanged = Some(answer.version) == asked;
                    follower.apply(answer, &sampling);
                    unchanged.then_some(MIN_REPOLL)
                }
                Err(error) => {
                    follower.failed(&error);
                    Some(backoff.next_wait(rand::rng().random::<f64>()))
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        if let Some(wait) = wait {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}
