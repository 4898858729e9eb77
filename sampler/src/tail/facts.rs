//! Per-decision facts about one trace, each computed on first use and at most once, so a
//! policy set that never asks for the trace's size never walks the spans to sum it.

use std::cell::OnceCell;

use super::raw_state;
use super::view::{SpanView, TraceView};
use crate::{Randomness, Threshold};

/// A trace under evaluation plus the lazily computed facts policies share.
pub(crate) struct TraceFacts<'t, T: TraceView> {
    trace: &'t T,
    span_count: OnceCell<u64>,
    size_bytes: OnceCell<u64>,
    duration_ms: OnceCell<u64>,
    randomness: OnceCell<Randomness>,
    threshold: OnceCell<Option<Threshold>>,
}

impl<'t, T: TraceView> TraceFacts<'t, T> {
    /// Facts about `trace`, none computed yet.
    pub(crate) fn new(trace: &'t T) -> Self {
        Self {
            trace,
            span_count: OnceCell::new(),
            size_bytes: OnceCell::new(),
            duration_ms: OnceCell::new(),
            randomness: OnceCell::new(),
            threshold: OnceCell::new(),
        }
    }

    /// The trace itself, for policies that walk its spans.
    pub(crate) fn trace(&self) -> &'t T {
        self.trace
    }

    /// How many spans the trace has.
    pub(crate) fn span_count(&self) -> u64 {
        *self.span_count.get_or_init(|| self.trace.span_count())
    }

    /// The trace's size in bytes.
    pub(crate) fn size_bytes(&self) -> u64 {
        *self.size_bytes.get_or_init(|| self.trace.size_bytes())
    }

    /// From the earliest span start to the latest span end, in whole milliseconds (truncated,
    /// as Go's `Duration.Milliseconds`); 0 for a trace without spans.
    pub(crate) fn duration_ms(&self) -> u64 {
        *self.duration_ms.get_or_init(|| {
            let mut bounds: Option<(u64, u64)> = None;
            for span in self.trace.spans() {
                let (start, end) = (span.start_unix_nano(), span.end_unix_nano());
                bounds = Some(match bounds {
                    None => (start, end),
                    Some((lo, hi)) => (lo.min(start), hi.max(end)),
                });
            }
            bounds.map_or(0, |(lo, hi)| hi.saturating_sub(lo) / 1_000_000)
        })
    }

    /// The trace's randomness: the first well-formed `ot=rv` of any span, else the low 56
    /// bits of the trace id (the SPEC's one consistent rule).
    pub(crate) fn randomness(&self) -> Randomness {
        *self.randomness.get_or_init(|| {
            self.trace
                .spans()
                .find_map(|s| raw_state::randomness(s.trace_state()))
                .unwrap_or_else(|| Randomness::from_trace_id(self.trace.trace_id()))
        })
    }

    /// The highest well-formed `ot=th` any span carries: the smallest probability the trace
    /// was already sampled with upstream. `None` when no span carries one.
    pub(crate) fn threshold(&self) -> Option<Threshold> {
        *self.threshold.get_or_init(|| {
            self.trace
                .spans()
                .filter_map(|s| raw_state::threshold(s.trace_state()))
                .max()
        })
    }
}
