//! The request path's layers, one concern each. They are assembled, in order, in
//! [`super::stack`]; each wraps the next and, where the exchange must be completed when the
//! response body ends, wraps that body too. Futures are small structs over the inner future
//! (no boxing): every inner future is `Unpin`.

mod destination;
mod hop_by_hop;
mod red;
mod request_id;
mod respond;
mod timeout;
mod trace;
mod upgrade;

pub(super) use destination::DestinationLayer;
pub(super) use hop_by_hop::HopByHopLayer;
pub(super) use red::RedLayer;
pub(super) use request_id::RequestIdLayer;
pub(super) use respond::RespondLayer;
pub(super) use timeout::TimeoutLayer;
pub(super) use trace::TraceLayer;
pub(super) use upgrade::UpgradeLayer;
