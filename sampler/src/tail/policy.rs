//! The runtime policy: a closed enum over every type of the SPEC, each evaluated against a
//! trace into a verdict, plus the combinators `and`, `not` and `drop`
//! (opentelemetry-collector-contrib `internal/sampling/{and,not,drop}.go`).

use std::sync::Arc;
use std::time::Duration;

use super::attributes::{BooleanAttribute, NumericAttribute, StringAttribute};
use super::composite::Composite;
use super::decision::ThresholdChange;
use super::facts::TraceFacts;
use super::limits::TokenBucket;
use super::probabilistic::Probabilistic;
use super::properties::{Latency, SpanCount, StatusCodes, TraceStateMatch};
use super::view::TraceView;

/// One policy's verdict, the OpenTelemetry Collector's `samplingpolicy.Decision`.
///
/// The inverted verdicts come from attribute policies with `invert_match`. At the top level
/// they weigh as in the Collector's final decision (`processor.go`, `makeDecision`): after a
/// `drop`, an `InvertNotSampled` vetoes the trace even when another policy sampled it (unless
/// `sample_on_first_match` stopped evaluation before it); `InvertSampled` keeps the trace
/// only when no policy said `NotSampled`. Inside `and`, `drop` and `composite`,
/// `InvertSampled` counts as a match and `InvertNotSampled` as a miss, as there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The policy samples the trace.
    Sampled,
    /// The policy does not sample it.
    NotSampled,
    /// An inverted match found nothing to exclude.
    InvertSampled,
    /// An inverted match found a value to exclude.
    InvertNotSampled,
    /// A `drop` policy matched: the trace is dropped whatever else says.
    Dropped,
}

impl Verdict {
    /// Whether a combinator counts this verdict as a match.
    pub(crate) fn matched(self) -> bool {
        matches!(self, Verdict::Sampled | Verdict::InvertSampled)
    }
}

/// A verdict and, for `composite`, the sub-policy that claimed the trace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome<'p> {
    pub(crate) verdict: Verdict,
    pub(crate) sub_policy: Option<&'p Arc<str>>,
}

impl Outcome<'_> {
    /// A verdict with no sub-policy.
    pub(crate) fn plain(verdict: Verdict) -> Self {
        Self {
            verdict,
            sub_policy: None,
        }
    }
}

/// Every policy type, validated and ready to evaluate.
#[derive(Debug)]
pub(crate) enum Policy {
    AlwaysSample,
    Latency(Latency),
    NumericAttribute(NumericAttribute),
    Probabilistic(Probabilistic),
    StatusCode(StatusCodes),
    StringAttribute(StringAttribute),
    BooleanAttribute(BooleanAttribute),
    TraceState(TraceStateMatch),
    /// `rate_limiting`: tokens are spans.
    RateLimiting(TokenBucket),
    /// `bytes_limiting`: tokens are bytes.
    BytesLimiting(TokenBucket),
    SpanCount(SpanCount),
    And(Vec<Policy>),
    Not(Box<Policy>),
    Drop(Vec<Policy>),
    Composite(Composite),
}

impl Policy {
    /// This policy's verdict on the trace at `now`.
    pub(crate) fn evaluate<T: TraceView>(
        &self,
        facts: &TraceFacts<'_, T>,
        now: Duration,
    ) -> Outcome<'_> {
        let verdict = match self {
            Policy::AlwaysSample => Verdict::Sampled,
            Policy::Latency(p) => p.evaluate(facts),
            Policy::NumericAttribute(p) => p.evaluate(facts),
            Policy::Probabilistic(p) => p.evaluate(facts),
            Policy::StatusCode(p) => p.evaluate(facts),
            Policy::StringAttribute(p) => p.evaluate(facts),
            Policy::BooleanAttribute(p) => p.evaluate(facts),
            Policy::TraceState(p) => p.evaluate(facts),
            Policy::SpanCount(p) => p.evaluate(facts),
            Policy::RateLimiting(bucket) => sampled_if(bucket.try_take(facts.span_count(), now)),
            Policy::BytesLimiting(bucket) => sampled_if(bucket.try_take(facts.size_bytes(), now)),
            Policy::And(subs) => sampled_if(all_match(subs, facts, now)),
            Policy::Drop(subs) => {
                if all_match(subs, facts, now) {
                    Verdict::Dropped
                } else {
                    Verdict::NotSampled
                }
            }
            Policy::Not(sub) => negate(sub.evaluate(facts, now).verdict),
            Policy::Composite(c) => return c.evaluate(facts, now),
        };
        Outcome::plain(verdict)
    }

    /// How a trace this policy keeps has its adjusted count changed (a static property).
    pub(crate) fn change(&self) -> ThresholdChange {
        match self {
            Policy::Probabilistic(p) => p
                .threshold
                .map_or(ThresholdChange::Unchanged, ThresholdChange::Raise),
            Policy::RateLimiting(_)
            | Policy::BytesLimiting(_)
            | Policy::Composite(_)
            | Policy::Drop(_) => ThresholdChange::Unknown,
            Policy::And(subs) => subs
                .iter()
                .fold(ThresholdChange::Unchanged, |acc, p| acc.and(p.change())),
            // Keeping what a deterministic test rejects is deterministic too; keeping what a
            // probabilistic or rate-limited policy rejects is no fixed fraction.
            Policy::Not(sub) => match sub.change() {
                ThresholdChange::Unchanged => ThresholdChange::Unchanged,
                _ => ThresholdChange::Unknown,
            },
            Policy::AlwaysSample
            | Policy::Latency(_)
            | Policy::NumericAttribute(_)
            | Policy::StatusCode(_)
            | Policy::StringAttribute(_)
            | Policy::BooleanAttribute(_)
            | Policy::TraceState(_)
            | Policy::SpanCount(_) => ThresholdChange::Unchanged,
        }
    }
}

fn sampled_if(kept: bool) -> Verdict {
    if kept {
        Verdict::Sampled
    } else {
        Verdict::NotSampled
    }
}

/// `and` and `drop`: every sub-policy matches, evaluated in order until one does not (so a
/// rate limit after a non-matching sub-policy is not charged).
fn all_match<T: TraceView>(subs: &[Policy], facts: &TraceFacts<'_, T>, now: Duration) -> bool {
    subs.iter()
        .all(|p| p.evaluate(facts, now).verdict.matched())
}

/// `not`. The Collector passes inverted verdicts through unchanged, which makes `not` of an
/// `invert_match` policy a no-op; we negate them like the plain ones, so a double negation
/// is the plain match.
fn negate(verdict: Verdict) -> Verdict {
    match verdict {
        Verdict::Sampled | Verdict::InvertSampled => Verdict::NotSampled,
        Verdict::NotSampled | Verdict::InvertNotSampled => Verdict::Sampled,
        Verdict::Dropped => Verdict::Dropped,
    }
}
