//! Switching tracing on in a mesh: the Istio-style traffic capture rules (`iptables`), the
//! Kubernetes manifest injector (`inject`) and the tracing config for an existing Envoy or
//! Istio mesh (`config`). Everything here except `iptables::apply` is pure text and data.

pub mod config;
pub mod inject;
pub mod iptables;
