//! What a head sampler sees: the trace, what the caller said about it, the request, and now.

use std::time::Duration;

use crate::{Randomness, SamplingState, SpanContext, TraceId, TraceState};

/// The parts of the request the samplers read. Empty by default.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestInfo<'a> {
    /// The HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// The request path without the query, e.g. `/productpage`.
    pub path: &'a str,
    /// The route template the path matched, when the sidecar knows one (`/reviews/{id}`):
    /// per-operation rules match it as well as the path.
    pub route: Option<&'a str>,
    /// The `x-request-id` value, read by [`super::EnvoyRequestId`].
    pub request_id: Option<&'a str>,
    /// Whether `x-envoy-force-trace` was present.
    pub force_trace: bool,
    /// Whether the caller is trusted (inside the mesh). Untrusted callers cannot force a trace
    /// with `x-envoy-force-trace` or a traced `x-request-id`, as in Envoy, which honours them
    /// only on internal requests.
    pub trusted: bool,
}

/// What a head sampler sees.
#[derive(Debug, Clone, Copy)]
pub struct SamplingInput<'a> {
    /// The trace being decided (the parent's, or a fresh one for a root).
    pub trace_id: TraceId,
    /// The caller's context, if one was propagated.
    pub parent: Option<&'a SpanContext>,
    /// A decision the caller sent without ids (see [`crate::propagation::Extraction`]).
    pub decision_only: Option<SamplingState>,
    /// The request being decided.
    pub request: RequestInfo<'a>,
    /// Monotonic time since an epoch of the caller's choosing (read by the rate limiter).
    pub now: Duration,
}

impl<'a> SamplingInput<'a> {
    /// An input with no request details, no bare decision and `now` zero.
    pub fn new(trace_id: TraceId, parent: Option<&'a SpanContext>) -> Self {
        Self {
            trace_id,
            parent,
            decision_only: None,
            request: RequestInfo::default(),
            now: Duration::ZERO,
        }
    }

    /// With a decision received without ids.
    pub fn with_decision_only(mut self, decision: Option<SamplingState>) -> Self {
        self.decision_only = decision;
        self
    }

    /// With the request's details.
    pub fn with_request(mut self, request: RequestInfo<'a>) -> Self {
        self.request = request;
        self
    }

    /// At monotonic time `now`.
    pub fn at(mut self, now: Duration) -> Self {
        self.now = now;
        self
    }

    /// The `tracestate` travelling with the trace (empty for a root).
    fn trace_state(&self) -> Option<&TraceState> {
        self.parent.map(|p| &p.trace_state)
    }

    /// R: explicit `ot=rv` when present, else the trace id's low 56 bits.
    pub fn randomness(&self) -> Randomness {
        self.trace_state()
            .and_then(TraceState::randomness)
            .unwrap_or_else(|| Randomness::from_trace_id(self.trace_id))
    }

    /// The upstream decision: the parent's, else the bare one, else deferred.
    pub fn upstream(&self) -> SamplingState {
        self.parent
            .map(|p| p.sampling)
            .or(self.decision_only)
            .unwrap_or(SamplingState::Deferred)
    }
}
