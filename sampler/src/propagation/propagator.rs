//! Reading a request's trace context in the SPEC's order and writing the configured formats.

use http::{HeaderMap, HeaderName};

use super::Format;
use super::headers::{Known, TraceHeaders};
use super::outgoing::Outgoing;
use crate::{SamplingState, SpanContext};

/// A present header that could not be used; the request goes on as if it were absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {format:?} trace header")]
pub struct InvalidHeader {
    /// The format whose header was invalid.
    pub format: Format,
}

/// What one format found in the headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Extracted {
    /// A full context with ids.
    Context(SpanContext),
    /// A sampling decision without ids (B3 `b3: 0`, `X-B3-Sampled` alone).
    DecisionOnly(SamplingState),
}

/// The result of reading a request's trace headers.
#[derive(Debug, Default)]
pub struct Extraction {
    /// The caller's context, from the first format that had a valid one.
    pub parent: Option<SpanContext>,
    /// Formats whose headers were present but invalid (to be counted, never to fail).
    pub invalid: Vec<Format>,
    /// A sampling decision the caller sent without ids (B3 `b3: 0`/`1`/`d`, or `X-B3-Sampled`
    /// / `X-B3-Flags` without `X-B3-TraceId`). Set only when `parent` is `None`: the trace
    /// starts here with fresh ids, but the head sampler honours this deny, accept or force.
    pub decision_only: Option<SamplingState>,
}

/// Which formats a hop injects. Extraction always tries every format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    inject: Vec<Format>,
    /// Every known trace header that injecting `inject` does not always set, one bit each
    /// ([`Outgoing::mask`]): removed first, so no stale context travels on.
    clear: u16,
}

impl Default for Propagation {
    /// W3C and B3 multi, as Istio applications expect.
    fn default() -> Self {
        Self::new(vec![Format::W3c, Format::B3Multi])
    }
}

impl Propagation {
    /// Injects the given formats, in order.
    pub fn new(inject: Vec<Format>) -> Self {
        let overwritten = |name: &HeaderName| {
            inject
                .iter()
                .any(|format| format.always_written().contains(&name))
        };
        let clear = Outgoing::mask(
            Known::ALL
                .into_iter()
                .filter(|known| !overwritten(known.name())),
        );
        Self { inject, clear }
    }

    /// The formats injected, in order.
    pub fn formats(&self) -> &[Format] {
        &self.inject
    }

    /// Reads the caller's context, trying each format in [`Format::EXTRACT_ORDER`]. The first
    /// valid context wins; a later format carrying the same ids with the debug flag upgrades
    /// it to [`SamplingState::Debug`], because W3C cannot carry debug and Istio apps receive
    /// W3C and B3 side by side.
    pub fn extract(&self, headers: &HeaderMap) -> Extraction {
        // Gathered in locals and put together at the end: the parts move into the returned
        // value one by one, not the whole extraction with a `memcpy` call.
        let mut parent: Option<SpanContext> = None;
        let mut invalid = Vec::new();
        let mut decision_only = None;
        let found = TraceHeaders::find(headers);
        let present = found.present();
        // A format with none of its headers present finds nothing: not asked.
        let asked = Format::EXTRACT_ORDER
            .into_iter()
            .filter(|f| present.contains(*f));
        for format in asked {
            match format.extract(&found) {
                Ok(Some(Extracted::Context(context))) => match &mut parent {
                    None => parent = Some(context),
                    Some(first) => {
                        let same =
                            first.trace_id == context.trace_id && first.span_id == context.span_id;
                        if same && context.sampling == SamplingState::Debug {
                            first.sampling = SamplingState::Debug;
                        }
                    }
                },
                Ok(Some(Extracted::DecisionOnly(state))) => {
                    decision_only.get_or_insert(state);
                }
                Ok(None) => {}
                Err(error) => invalid.push(error.format),
            }
        }
        Extraction {
            decision_only: decision_only.filter(|_| parent.is_none()),
            parent,
            invalid,
        }
    }

    /// Replaces every trace header of every format with `context` in the configured formats.
    pub fn inject(&self, context: &SpanContext, headers: &mut HeaderMap) {
        // Setting a header replaces every line of it, so only the headers a format may leave
        // unwritten need removing first; removing an absent header costs nothing.
        let mut out = Outgoing::removing(self.clear);
        for format in &self.inject {
            format.inject(context, &mut out);
        }
        out.apply(headers);
    }
}
