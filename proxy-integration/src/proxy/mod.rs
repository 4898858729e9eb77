//! The proxy listeners: inbound (callers -> the workload, server spans) and outbound (the
//! workload -> other services, client spans). Both share one forwarding path.

mod client;
mod completion;
mod destination;
mod forward;
mod headers;
mod upgrade;

pub use client::{UpstreamClient, upstream_client};
pub use destination::{Destination, DestinationError};
pub use forward::{Forwarder, Shared};
