//! The proxy listeners' request path: inbound (callers -> the workload, server spans) and
//! outbound (the workload -> other services, client spans) share one stack of Tower layers,
//! assembled in `stack.rs`, over the upstream client in `client/`.

mod body;
mod client;
mod destination;
mod error;
mod layer;
mod observe;
mod stack;

pub use client::{UpstreamClient, upstream_client};
pub use destination::{Destination, DestinationError};
pub use error::ProxyError;
pub use stack::{ProxyService, ProxyStack, Shared};
