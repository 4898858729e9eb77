//! The validated policy set and its decision: `drop` policies first, then the others in
//! order, combined as the OpenTelemetry Collector's `makeDecision`
//! (opentelemetry-collector-contrib `processor/tailsamplingprocessor/processor.go`).

use std::sync::Arc;
use std::time::Duration;

use super::config::TailPolicyDocument;
use super::decision::{TailDecision, ThresholdChange};
use super::facts::TraceFacts;
use super::policy::{Policy, Verdict};
use super::view::TraceView;

/// The document's buffering settings, validated, for the collector's trace buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSettings {
    /// Wait after a trace's first span before deciding it.
    pub decision_wait: Duration,
    /// Decide this long after the root span arrives, when earlier than `decision_wait`.
    pub decision_wait_after_root_received: Option<Duration>,
    /// Most undecided traces buffered at once.
    pub num_traces: u64,
    /// Expected new traces per second (a sizing hint).
    pub expected_new_traces_per_sec: u64,
    /// Kept trace ids remembered for late spans (0 = none).
    pub sampled_cache_size: usize,
    /// Dropped trace ids remembered for late spans (0 = none).
    pub non_sampled_cache_size: usize,
    /// Largest trace buffered, in bytes.
    pub maximum_trace_size_bytes: Option<u64>,
    /// Whether evaluation stops at the first policy that samples.
    pub sample_on_first_match: bool,
}

impl From<&TailPolicyDocument> for TailSettings {
    /// The document's settings as written (range checks are the set's validation).
    fn from(doc: &TailPolicyDocument) -> Self {
        Self {
            decision_wait: doc.decision_wait,
            decision_wait_after_root_received: doc.decision_wait_after_root_received,
            num_traces: doc.num_traces,
            expected_new_traces_per_sec: doc.expected_new_traces_per_sec,
            sampled_cache_size: doc.decision_cache.sampled_cache_size,
            non_sampled_cache_size: doc.decision_cache.non_sampled_cache_size,
            maximum_trace_size_bytes: doc.maximum_trace_size_bytes,
            sample_on_first_match: doc.sample_on_first_match,
        }
    }
}

/// A top-level policy with its name and the adjusted-count change of its keeps.
#[derive(Debug)]
pub(super) struct NamedPolicy {
    pub(super) name: Arc<str>,
    pub(super) policy: Policy,
    pub(super) change: ThresholdChange,
}

impl NamedPolicy {
    pub(super) fn new(name: &str, policy: Policy) -> Self {
        Self {
            name: Arc::from(name),
            change: policy.change(),
            policy,
        }
    }
}

/// A validated tail policy document, ready to decide traces. Shared by reference across
/// threads (`decide` takes `&self`; the rate limits keep their state behind small locks) and
/// replaced whole when the document changes.
#[derive(Debug)]
pub struct TailPolicySet {
    pub(super) document: TailPolicyDocument,
    pub(super) settings: TailSettings,
    /// Top-level `drop` policies, in document order.
    pub(super) drops: Vec<NamedPolicy>,
    /// Every other top-level policy, in document order.
    pub(super) policies: Vec<NamedPolicy>,
}

impl TailPolicySet {
    /// The set of the default document: no policies, every trace kept.
    pub fn keep_all() -> Self {
        let document = TailPolicyDocument::default();
        Self {
            settings: TailSettings::from(&document),
            document,
            drops: Vec::new(),
            policies: Vec::new(),
        }
    }

    /// Whether the set has no policies at all, and so keeps every trace.
    pub fn is_keep_all(&self) -> bool {
        self.drops.is_empty() && self.policies.is_empty()
    }

    /// The document this set was built from (what `GET /api/v1/sampling/tail` returns).
    pub fn document(&self) -> &TailPolicyDocument {
        &self.document
    }

    /// The buffering settings.
    pub fn settings(&self) -> &TailSettings {
        &self.settings
    }

    /// The top-level policy names, `drop` policies first, in evaluation order (for metrics).
    pub fn policy_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.drops
            .iter()
            .chain(&self.policies)
            .map(|p| p.name.as_ref())
    }

    /// Decides `trace` at `now` (monotonic, the caller's epoch).
    ///
    /// 1. No policies at all: keep (the SPEC's default).
    /// 2. Any top-level `drop` policy matching drops the trace, named after that policy;
    ///    `drop` policies run first, so dropped traces charge no rate limit.
    /// 3. Every other policy is evaluated in order (all of them, as the Collector does,
    ///    unless `sample_on_first_match`, which stops at the first that samples). Then:
    ///    an inverted match that excluded the trace (`InvertNotSampled`) drops it, named
    ///    after that policy; else the first policy that sampled keeps it; else the first
    ///    inverted match that sampled keeps it if no policy said `NotSampled`; else the trace
    ///    is dropped with no policy named. So a set with only `drop` policies keeps nothing,
    ///    as in the Collector: add `always_sample` to keep the rest.
    pub fn decide(&self, trace: &impl TraceView, now: Duration) -> TailDecision {
        let facts = TraceFacts::new(trace);
        if self.drops.is_empty() && self.policies.is_empty() {
            return TailDecision::kept(None, None, ThresholdChange::Unchanged, facts.threshold());
        }
        for drop in &self.drops {
            if drop.policy.evaluate(&facts, now).verdict == Verdict::Dropped {
                return TailDecision::dropped(Some(drop.name.clone()));
            }
        }
        let mut sampled = None;
        let mut invert_sampled = None;
        let mut vetoed = None;
        let mut any_not_sampled = false;
        for named in &self.policies {
            let outcome = named.policy.evaluate(&facts, now);
            match outcome.verdict {
                Verdict::Sampled => {
                    sampled.get_or_insert((named, outcome.sub_policy));
                    if self.settings.sample_on_first_match {
                        break;
                    }
                }
                Verdict::InvertSampled => {
                    invert_sampled.get_or_insert(named);
                }
                Verdict::InvertNotSampled => {
                    vetoed.get_or_insert(named);
                }
                Verdict::NotSampled => any_not_sampled = true,
                // Only top-level `drop` policies say this, and they ran above.
                Verdict::Dropped => return TailDecision::dropped(Some(named.name.clone())),
            }
        }
        let keep = |named: &NamedPolicy, sub: Option<&Arc<str>>| {
            let arrived = match named.change {
                ThresholdChange::Unknown => None,
                _ => facts.threshold(),
            };
            TailDecision::kept(
                Some(named.name.clone()),
                sub.cloned(),
                named.change,
                arrived,
            )
        };
        match (vetoed, sampled, invert_sampled) {
            (Some(veto), _, _) => TailDecision::dropped(Some(veto.name.clone())),
            (None, Some((named, sub)), _) => keep(named, sub),
            (None, None, Some(named)) if !any_not_sampled => keep(named, None),
            _ => TailDecision::dropped(None),
        }
    }
}
