//! The proxy listeners: inbound (callers -> the workload, server spans) and outbound (the
//! workload -> other services, client spans). Both share one forwarding path.

mod destination;
mod forward;

pub use destination::{Destination, DestinationError};
pub use forward::{Forwarder, UpstreamClient, upstream_client};
