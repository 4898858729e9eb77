//! A plain span and trace type implementing the views, and helpers to build policy sets from
//! YAML.

use std::time::Duration;

use crate::TraceId;
use crate::tail::{AttrValue, SpanStatus, SpanView, TailDecision, TailPolicySet, TraceView};

/// One span: everything a policy reads, with builder methods.
#[derive(Debug, Clone)]
pub(super) struct TestSpan {
    status: SpanStatus,
    start_ms: u64,
    end_ms: u64,
    trace_state: String,
    attrs: Vec<(&'static str, AttrValue<'static>)>,
    resource: Vec<(&'static str, AttrValue<'static>)>,
    size: usize,
}

/// A span from 0 to 1 ms, status unset, 100 bytes, no attributes.
pub(super) fn span() -> TestSpan {
    TestSpan {
        status: SpanStatus::Unset,
        start_ms: 0,
        end_ms: 1,
        trace_state: String::new(),
        attrs: Vec::new(),
        resource: Vec::new(),
        size: 100,
    }
}

impl TestSpan {
    pub(super) fn status(mut self, status: SpanStatus) -> Self {
        self.status = status;
        self
    }
    pub(super) fn error(self) -> Self {
        self.status(SpanStatus::Error)
    }
    pub(super) fn times(mut self, start_ms: u64, end_ms: u64) -> Self {
        (self.start_ms, self.end_ms) = (start_ms, end_ms);
        self
    }
    pub(super) fn state(mut self, trace_state: impl Into<String>) -> Self {
        self.trace_state = trace_state.into();
        self
    }
    pub(super) fn attr(mut self, key: &'static str, value: AttrValue<'static>) -> Self {
        self.attrs.push((key, value));
        self
    }
    pub(super) fn res(mut self, key: &'static str, value: AttrValue<'static>) -> Self {
        self.resource.push((key, value));
        self
    }
    pub(super) fn size(mut self, size: usize) -> Self {
        self.size = size;
        self
    }
}

fn lookup<'a>(list: &'a [(&str, AttrValue<'static>)], key: &str) -> Option<AttrValue<'a>> {
    list.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

impl SpanView for TestSpan {
    fn trace_state(&self) -> &str {
        &self.trace_state
    }
    fn status(&self) -> SpanStatus {
        self.status
    }
    fn start_unix_nano(&self) -> u64 {
        1_700_000_000_000_000_000 + self.start_ms * 1_000_000
    }
    fn end_unix_nano(&self) -> u64 {
        1_700_000_000_000_000_000 + self.end_ms * 1_000_000
    }
    fn name(&self) -> &str {
        "op"
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        lookup(&self.attrs, key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        lookup(&self.resource, key)
    }
    fn size_bytes(&self) -> usize {
        self.size
    }
}

/// A trace: an id and its spans.
#[derive(Debug, Clone)]
pub(super) struct TestTrace {
    id: TraceId,
    spans: Vec<TestSpan>,
}

impl TraceView for TestTrace {
    fn trace_id(&self) -> TraceId {
        self.id
    }
    fn spans(&self) -> impl Iterator<Item = impl SpanView + '_> + '_ {
        self.spans.iter()
    }
}

/// A trace whose id's low 56 bits (its randomness) are `r`.
pub(super) fn trace_r(r: u64, spans: Vec<TestSpan>) -> TestTrace {
    let mut bytes = [0xab; 16];
    bytes[9..].copy_from_slice(&r.to_be_bytes()[1..]);
    let id = TraceId::from_bytes(bytes).expect("non-zero id");
    assert_eq!(id.low_56_bits(), r);
    TestTrace { id, spans }
}

/// A trace with randomness 2^55 (kept at any probability >= 50%).
pub(super) fn trace(spans: Vec<TestSpan>) -> TestTrace {
    trace_r(1 << 55, spans)
}

/// `n` plain spans.
pub(super) fn spans(n: usize) -> Vec<TestSpan> {
    vec![span(); n]
}

/// The set of a YAML document.
pub(super) fn set_yaml(yaml: &str) -> TailPolicySet {
    let doc = serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    TailPolicySet::from_document(doc).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

/// The set of one policy named `p`, given as a YAML flow mapping without its name.
pub(super) fn one(policy: &str) -> TailPolicySet {
    set_yaml(&format!("policies: [{{name: p, {policy}}}]"))
}

/// Decides `trace` at time zero.
pub(super) fn decide(set: &TailPolicySet, trace: &TestTrace) -> TailDecision {
    set.decide(trace, Duration::ZERO)
}

/// Whether `set` keeps `trace` at time zero.
pub(super) fn keeps(set: &TailPolicySet, trace: &TestTrace) -> bool {
    decide(set, trace).keep
}

/// Seconds as a monotonic `now`.
pub(super) fn at_ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
