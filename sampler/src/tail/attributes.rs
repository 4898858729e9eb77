//! The attribute policies: `string_attribute`, `numeric_attribute`, `boolean_attribute`.
//!
//! As in opentelemetry-collector-contrib (`internal/sampling/string_tag_filter.go`,
//! `numeric_tag_filter.go`, `boolean_tag_filter.go`, `util.go`): a trace matches when any span
//! or any span's resource has the attribute with a matching value. With `invert_match` the
//! verdict becomes `InvertNotSampled` when something matches and `InvertSampled` otherwise
//! (so a trace without the attribute at all is sampled); see [`super::policy::Verdict`] for
//! how inverted verdicts weigh in the final decision.
//!
//! Values are read by type: a string policy only sees string values (an empty span value
//! counts as absent, as in the Collector), a numeric policy sees integers and doubles (the
//! Collector reads non-integers as 0), a boolean policy only sees booleans.

use std::collections::HashSet;

use regex::Regex;

use super::facts::TraceFacts;
use super::policy::Verdict;
use super::view::{AttrValue, SpanView, TraceView};

/// Whether any span or resource matches, turned into a verdict.
fn scan<T: TraceView>(
    facts: &TraceFacts<'_, T>,
    key: &str,
    invert: bool,
    on_resource: impl Fn(AttrValue<'_>) -> bool,
    on_span: impl Fn(AttrValue<'_>) -> bool,
) -> Verdict {
    let hit = facts.trace().spans().any(|span| {
        span.resource_attribute(key).is_some_and(&on_resource)
            || span.attribute(key).is_some_and(&on_span)
    });
    match (invert, hit) {
        (false, true) => Verdict::Sampled,
        (false, false) => Verdict::NotSampled,
        (true, true) => Verdict::InvertNotSampled,
        (true, false) => Verdict::InvertSampled,
    }
}

/// How string values are compared.
#[derive(Debug)]
pub(crate) enum StringMatcher {
    /// Equal to one of these (empty values never match).
    Exact(HashSet<String>),
    /// Matched anywhere by one of these (compiled once, at validation).
    Regex(Vec<Regex>),
}

impl StringMatcher {
    fn matches(&self, value: &str) -> bool {
        match self {
            StringMatcher::Exact(values) => values.contains(value),
            StringMatcher::Regex(patterns) => patterns.iter().any(|r| r.is_match(value)),
        }
    }
}

/// `string_attribute`.
#[derive(Debug)]
pub(crate) struct StringAttribute {
    pub(crate) key: String,
    pub(crate) matcher: StringMatcher,
    pub(crate) invert: bool,
}

impl StringAttribute {
    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        scan(
            facts,
            &self.key,
            self.invert,
            |v| v.as_str().is_some_and(|s| self.matcher.matches(s)),
            |v| {
                v.as_str()
                    .is_some_and(|s| !s.is_empty() && self.matcher.matches(s))
            },
        )
    }
}

/// `numeric_attribute`: inclusive bounds, `i64::MIN`/`i64::MAX` when absent.
#[derive(Debug)]
pub(crate) struct NumericAttribute {
    pub(crate) key: String,
    pub(crate) min: i64,
    pub(crate) max: i64,
    pub(crate) invert: bool,
}

impl NumericAttribute {
    fn in_range(&self, value: AttrValue<'_>) -> bool {
        match value {
            AttrValue::Int(i) => (self.min..=self.max).contains(&i),
            // i64 -> f64 may round at the extremes, which only matters past 2^53.
            AttrValue::Double(d) => d >= self.min as f64 && d <= self.max as f64,
            _ => false,
        }
    }

    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        let in_range = |v: AttrValue<'_>| self.in_range(v);
        scan(facts, &self.key, self.invert, in_range, in_range)
    }
}

/// `boolean_attribute`.
#[derive(Debug)]
pub(crate) struct BooleanAttribute {
    pub(crate) key: String,
    pub(crate) value: bool,
    pub(crate) invert: bool,
}

impl BooleanAttribute {
    pub(crate) fn evaluate<T: TraceView>(&self, facts: &TraceFacts<'_, T>) -> Verdict {
        let equal = |v: AttrValue<'_>| v.as_bool() == Some(self.value);
        scan(facts, &self.key, self.invert, equal, equal)
    }
}
