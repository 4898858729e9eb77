//! Adaptive sampling: per-operation probabilities computed from observed traffic so that each
//! operation of a service is sampled at a target rate, pushed like any other strategy.
//! `calculate` is the pure calculation; `controller` counts the sampled traces per operation
//! that reach the collector and turns each interval's counts into strategy-file entries.

mod calculate;
mod controller;

pub use calculate::{
    AdaptiveConfig, PerOperation, next_probabilities, next_probability, to_strategy,
};
pub use controller::{AdaptiveController, AdaptiveSettings};

#[cfg(test)]
mod tests;
