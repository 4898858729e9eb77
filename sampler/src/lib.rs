//! Pure building blocks shared by every meshtrace component: trace and span ids,
//! trace-context codecs (W3C, B3), the consistent-probability rule, head samplers and tail
//! sampling policies.
//!
//! Nothing here does I/O or reads the clock: callers pass time and randomness in, so every
//! decision is deterministic and testable.

pub mod context;
pub mod head;
pub mod hex;
pub mod ids;
pub mod propagation;
pub mod strategy;
mod swar;
pub mod tail;
mod text;
pub mod threshold;
pub mod tracestate;

pub use context::{SamplingState, SpanContext, TraceFlags};
pub use head::{HeadDecision, HeadSampler, RootSampler, SamplerKind};
pub use ids::{SpanId, TraceId};
pub use propagation::{Format, Propagation};
pub use tail::{TailDecision, TailPolicyDocument, TailPolicySet};
pub use threshold::{Randomness, Threshold};
pub use tracestate::TraceState;
