//! Remote sampling for the sidecar (`--control URL`): a task long-polls the collector's
//! control API and keeps [`crate::sampling::SamplingControl`]'s remote layer equal to the
//! strategy the collector holds for this service, so a change reaches the sidecar within a
//! second. Without `--control` this module is not used and `--sampling-probability` stays.

mod backoff;
mod client;
mod task;

pub use backoff::{Backoff, INITIAL_BACKOFF, MAX_BACKOFF};
pub use client::{
    PollError, REQUEST_TIMEOUT, RemoteError, WATCH_TIMEOUT, WatchClient, WatchResponse,
};
pub use task::spawn_remote_sampling;

#[cfg(test)]
mod tests;
