//! The control API under `/api/v1/` on the collector's `--http` port: sampling strategies
//! read and changed at runtime (writes need the admin token when one is set), and the
//! long-poll sidecars hold to receive changes.

mod auth;
mod error;
mod handlers;
mod tail;
mod watch;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use arc_swap::ArcSwap;
use sampler::tail::TailPolicySet;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::strategy::StrategyStore;

pub use auth::AdminToken;
pub use error::ControlError;
pub use handlers::{ChangeView, SamplingView};
pub use watch::{DEFAULT_WATCH_TIMEOUT, MAX_WATCH_TIMEOUT, WatchParams};

/// What the control routes share.
#[derive(Debug, Clone)]
pub struct ControlState {
    store: Arc<StrategyStore>,
    token: Option<AdminToken>,
    watch_timeout: Duration,
    shutdown: Option<tokio::sync::watch::Receiver<bool>>,
    tail: Option<Arc<ArcSwap<TailPolicySet>>>,
}

impl ControlState {
    /// Serves `store`; writes need `token` when it is set.
    pub fn new(store: Arc<StrategyStore>, token: Option<AdminToken>) -> Self {
        Self {
            store,
            token,
            watch_timeout: DEFAULT_WATCH_TIMEOUT,
            shutdown: None,
            tail: None,
        }
    }

    /// Ends pending watches (with the current state) when `shutdown` turns true, so a
    /// graceful shutdown does not wait for them to time out.
    pub fn with_shutdown(mut self, shutdown: tokio::sync::watch::Receiver<bool>) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Serves `GET`/`PUT /api/v1/sampling/tail` over this tail policy set.
    pub fn with_tail(mut self, tail: Arc<ArcSwap<TailPolicySet>>) -> Self {
        self.tail = Some(tail);
        self
    }

    /// How long a watch without `timeout=` waits (capped at [`MAX_WATCH_TIMEOUT`]).
    pub fn with_watch_timeout(mut self, timeout: Duration) -> Self {
        self.watch_timeout = timeout.min(MAX_WATCH_TIMEOUT);
        self
    }
}

/// The control routes, to merge into the `--http` router.
pub fn router(state: ControlState) -> Router {
    Router::new()
        .route(
            "/api/v1/sampling",
            get(handlers::list).put(handlers::replace),
        )
        .route("/api/v1/sampling/watch", get(watch::watch))
        .route(
            "/api/v1/sampling/tail",
            get(tail::get_tail).put(tail::put_tail),
        )
        .route(
            "/api/v1/sampling/services/{service}",
            get(handlers::get_service)
                .put(handlers::put_service)
                .delete(handlers::delete_service),
        )
        .with_state(state)
}
