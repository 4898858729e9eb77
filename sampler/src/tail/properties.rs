//! The policies that test a property of the whole trace or of any one span: `latency`,
//! `span_count`, `status_code`, `trace_state`. Rules from opentelemetry-collector-contrib
//! `processor/tailsamplingprocessor/internal/sampling/{latency,span_count_sampler,
//! status_code,trace_state_filter}.go`.

use std::collections::HashSet;

use super::facts::TraceFacts;
use super::policy::Verdict;
use super::raw_state;
use super::view::{SpanStatus, SpanView, TraceView};

fn verdict(sampled: bool) -> Verdict {
    if sampled {
        Verdict::Sampled
    } else {
        Verdict::NotSampled
    }
}

/// `latency`: duration `>= lower` alone, `lower < duration <= upper` with an upper bound.
///
/// The Collector folds spans in one by one and stops at the first partial duration in range,
/// which can sample a trace whose full duration is above `upper`; we always test the full
/// duration (earliest start to latest end).
#[derive(Debug)]
pub(crate) struct Latency {
    pub(crate) lower_ms: u64,
    pub(crate) upper_ms: Option<u64>,
}

impl Latency {
    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        let d = facts.duration_ms();
        verdict(match self.upper_ms {
            None => d >= self.lower_ms,
            Some(upper) => self.lower_ms < d && d <= upper,
        })
    }
}

/// `span_count`: `min <= spans <= max` (no upper bound when `max` is none).
#[derive(Debug)]
pub(crate) struct SpanCount {
    pub(crate) min: u64,
    pub(crate) max: Option<u64>,
}

impl SpanCount {
    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        let n = facts.span_count();
        verdict(n >= self.min && self.max.is_none_or(|max| n <= max))
    }
}

/// `status_code`: any span with one of the listed codes.
#[derive(Debug)]
pub(crate) struct StatusCodes {
    pub(crate) codes: Vec<SpanStatus>,
}

impl StatusCodes {
    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        verdict(
            facts
                .trace()
                .spans()
                .any(|s| self.codes.contains(&s.status())),
        )
    }
}

/// `trace_state`: any span whose `tracestate` member `key` has one of `values`.
#[derive(Debug)]
pub(crate) struct TraceStateMatch {
    pub(crate) key: String,
    pub(crate) values: HashSet<String>,
}

impl TraceStateMatch {
    fn matches(&self, member: &str) -> bool {
        self.values.contains(member)
            || (self.key == raw_state::OT_KEY
                && self
                    .values
                    .iter()
                    .any(|pair| raw_state::ot_has_pair(member, pair)))
    }

    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        verdict(facts.trace().spans().any(|s| {
            raw_state::member(s.trace_state(), &self.key).is_some_and(|m| self.matches(m))
        }))
    }
}
