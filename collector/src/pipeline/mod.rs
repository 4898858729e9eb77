//! The hand-off between receivers and the store and exporters.
//!
//! Receivers call [`Pipeline::submit`], which never waits for room: when the bounded channel
//! is full the batch is refused (and counted) so the receiver can answer `UNAVAILABLE` and the
//! sender retries later. When an exporter persists its queue, `submit` then waits until the
//! drain has written the batch to disk, so success is answered only for durable spans. One [`PipelineDrain`] task moves batches into the store and, without
//! waiting, into every exporter's queue; on shutdown it closes the channel and delivers
//! everything already accepted. [`IngestCounters`] travel with the pipeline so every receiver
//! counts what it accepts and refuses in one place.

mod channel;
mod counters;
mod drain;
pub mod journal;
pub mod memory;
mod sink;
mod tail_tasks;

pub use channel::{Accepted, Encoded, NotPersisted, Pipeline, SpanBatch, SubmitError};
pub use counters::{IngestCounters, Receiver, Refusal, Sample};
pub use drain::PipelineDrain;
