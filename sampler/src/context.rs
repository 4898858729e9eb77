//! The trace context that crosses a hop: ids, the sampling state and `tracestate`.

use crate::{SpanId, TraceId, TraceState};

/// The W3C `trace-flags` byte. Only the bits meshtrace understands are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// Bit 0: the caller may have recorded this trace.
    pub const SAMPLED: u8 = 0x01;
    /// Bit 1 (Level 2): the trace id's low 56 bits are uniformly random.
    pub const RANDOM: u8 = 0x02;

    /// Keeps the known bits of a received flags byte.
    pub fn from_byte(byte: u8) -> Self {
        Self(byte & (Self::SAMPLED | Self::RANDOM))
    }

    /// Flags with the given bits.
    pub fn new(sampled: bool, random: bool) -> Self {
        Self((u8::from(sampled) * Self::SAMPLED) | (u8::from(random) * Self::RANDOM))
    }

    /// Whether the sampled bit is set.
    pub fn sampled(self) -> bool {
        self.0 & Self::SAMPLED != 0
    }

    /// Whether the Level 2 random bit is set.
    pub fn random(self) -> bool {
        self.0 & Self::RANDOM != 0
    }

    /// The byte as written on the wire.
    pub fn to_byte(self) -> u8 {
        self.0
    }
}

/// What a propagated context says about sampling. W3C can only say yes or no; B3 can also
/// defer the decision downstream or force it (debug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingState {
    /// No decision yet: the receiver decides.
    Deferred,
    /// Upstream decided not to record.
    NotSampled,
    /// Upstream decided to record.
    Sampled,
    /// Upstream forces recording (B3 `X-B3-Flags: 1`).
    Debug,
}

impl SamplingState {
    /// Whether the trace is recorded under this state (`Deferred` counts as not yet).
    pub fn is_sampled(self) -> bool {
        matches!(self, Self::Sampled | Self::Debug)
    }
}

/// The context of one span as seen across a hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanContext {
    /// The trace this span belongs to.
    pub trace_id: TraceId,
    /// This span's id (for an extracted context: the caller's span, our parent).
    pub span_id: SpanId,
    /// The sampling decision carried with the context.
    pub sampling: SamplingState,
    /// The W3C Level 2 random flag, kept exactly as received.
    pub random: bool,
    /// The W3C `tracestate` members.
    pub trace_state: TraceState,
}

impl SpanContext {
    /// The W3C flags byte for this context.
    pub fn flags(&self) -> TraceFlags {
        TraceFlags::new(self.sampling.is_sampled(), self.random)
    }
}
