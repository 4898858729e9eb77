//! Adaptive sampling: per-operation probabilities computed from observed traffic so that each
//! operation of a service is sampled at a target rate, pushed like any other strategy. This
//! module is the pure calculation; measuring sampled traces per operation and applying the
//! result through the strategy store are the caller's.

mod calculate;

pub use calculate::{
    AdaptiveConfig, PerOperation, next_probabilities, next_probability, to_strategy,
};

#[cfg(test)]
mod tests;
