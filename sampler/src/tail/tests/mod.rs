//! Tests of the tail policies through [`super::TailPolicySet::decide`], on small synthetic
//! traces built with [`support`].

mod budget;
mod config;
mod config_errors;
mod limits;
mod order;
mod policies;
mod probabilistic;
mod support;
