//! Tail sampling in the collector. Spans are buffered by trace until the trace is complete
//! (`decision_wait` after its first span, or `decision_wait_after_root_received` after its
//! root span arrived), decided by the policy set current at decision time (`sampler::tail`),
//! and kept traces are delivered with why (`sampling.policy`) and their adjusted count (`th`
//! raised consistently, or erased when unknown). Decisions are remembered so late spans
//! follow their trace. The buffer is bounded by trace count and bytes: when full, the oldest
//! traces are decided early and counted. The buffer is sharded by trace id (`shards.rs`)
//! so each core can own a shard.

mod annotate;
mod buffer;
mod cache;
mod compact;
mod config;
mod counters;
pub mod file;
mod processor;
mod shards;
mod view;

pub use config::TailBufferConfig;
pub use counters::TailCounters;
pub use processor::{TailLimits, TailProcessor};
pub use shards::{ShardSlot, TailShards, shard_of};
pub use view::span_size;
