//! Transparent capture, modelled on Istio's `tools/istio-iptables` (nat table, REDIRECT mode):
//! inbound TCP to the pod goes to the sidecar's inbound listener, outbound TCP from the
//! workload goes to its outbound listener, and the proxy's own traffic (its uid) is left alone.
//!
//! `options` holds the flags, `rules` the typed rule set and its `iptables-restore` text,
//! `build` turns options into rules, `apply` runs `iptables-restore` / `iptables`.

pub mod apply;
pub mod build;
pub mod options;
pub mod rules;

pub use apply::{ApplyError, apply, cleanup};
pub use build::{build, cleanup_commands};
pub use options::{CaptureOptions, InboundPorts, PortList, PortListError};
pub use rules::{Chain, Match, Rule, RuleSet, Target};
