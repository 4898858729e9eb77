//! `meshtrace inject`: adds the `meshtrace-init` init container and the `meshtrace-proxy`
//! sidecar to every workload in a multi-document Kubernetes YAML stream, like
//! `istioctl kube-inject`.
//!
//! `stream` splits the input into documents and passes every document it does not change
//! through byte for byte; `workload` finds a document's pod template and edits it;
//! `containers` builds the two containers as typed values; `options` holds the knobs.

pub mod containers;
pub mod options;
pub mod stream;
pub mod workload;

pub use options::InjectOptions;
pub use stream::{InjectError, inject};
