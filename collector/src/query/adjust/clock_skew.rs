//! Clock-skew detection as jaeger-query's `CorrectClockSkew`
//! (`cmd/query/app/querysvc/adjuster/clockskew.go`) with its default maximum adjustment of
//! zero: the delta a child on another host would need to fit inside its parent is computed
//! and reported as a span warning, and no timestamp is changed. Spans whose id is repeated
//! or whose parent is not in the trace are reported too, in Jaeger's words.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use opentelemetry_proto::tonic::common::v1::any_value::Value;

use super::ShownSpan;
use crate::query::params::format_go_duration;
use crate::store::{StoredSpan, to_hex};

const WARNING_DUPLICATE_SPAN_ID: &str = "duplicate span IDs; skipping clock skew adjustment";

/// Adds clock-skew, duplicate-id and missing-parent warnings.
pub(super) fn warn(spans: &mut [ShownSpan<'_>]) {
    let mut by_id: HashMap<[u8; 8], usize> = HashMap::new();
    for (index, shown) in spans.iter_mut().enumerate() {
        match by_id.entry(shown.span_id) {
            Entry::Occupied(_) => shown.warnings.push(WARNING_DUPLICATE_SPAN_ID.to_owned()),
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
    }
    let mut roots = Vec::new();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut nodes: Vec<usize> = by_id.values().copied().collect();
    nodes.sort_unstable();
    for index in nodes {
        let shown = &mut spans[index];
        match shown.parent_span_id {
            None => roots.push(index),
            Some(parent) => match by_id.get(&parent) {
                Some(&parent_index) => children.entry(parent_index).or_default().push(index),
                None => {
                    shown.warnings.push(format!(
                        "parent span ID={} is not in the trace; skipping clock skew adjustment",
                        to_hex(&parent)
                    ));
                    roots.push(index);
                }
            },
        }
    }
    // Depth first from every root, carrying the skew of the nearest ancestor on another
    // host; iterative so a deep trace cannot exhaust the stack.
    let mut stack: Vec<(usize, Option<usize>, Skew)> = roots
        .into_iter()
        .map(|root| (root, None, Skew::none(host_key(spans[root].span))))
        .collect();
    while let Some((index, parent, inherited)) = stack.pop() {
        let host = host_key(spans[index].span);
        let skew = match parent {
            Some(parent) if host.is_empty() || host != inherited.host => Skew {
                delta: calculate(spans[index].span, spans[parent].span),
                host,
            },
            _ => inherited,
        };
        if skew.delta != 0 {
            spans[index].warnings.push(format!(
                "clock skew adjustment disabled; not applying calculated delta of {}",
                format_go_duration(skew.delta)
            ));
        }
        for &child in children.get(&index).into_iter().flatten() {
            stack.push((child, Some(index), skew.clone()));
        }
    }
}

#[derive(Debug, Clone)]
struct Skew {
    /// Nanoseconds to add to the span's timestamps.
    delta: i64,
    host: String,
}

impl Skew {
    fn none(host: String) -> Self {
        Self { delta: 0, host }
    }
}

/// How far `child` would move to fit in `parent`: to the parent's start when it lasted
/// longer, else centred in the parent (network latency split evenly); zero when it fits.
fn calculate(child: &StoredSpan, parent: &StoredSpan) -> i64 {
    let (cs, ce) = (
        i128::from(child.start_unix_nano),
        i128::from(child.end_unix_nano),
    );
    let (ps, pe) = (
        i128::from(parent.start_unix_nano),
        i128::from(parent.end_unix_nano),
    );
    let (child_duration, parent_duration) = (ce - cs, pe - ps);
    let delta = if child_duration > parent_duration {
        if cs < ps { ps - cs } else { 0 }
    } else if cs >= ps && ce <= pe {
        0
    } else {
        ps + (parent_duration - child_duration) / 2 - cs
    };
    i64::try_from(delta).unwrap_or(if delta < 0 { i64::MIN } else { i64::MAX })
}

/// The host a span ran on, from its resource: `host.id`, else `host.ip` (a string or the
/// first of a list), else `host.name`; empty when unknown (then every span counts as its
/// own host).
fn host_key(span: &StoredSpan) -> String {
    let find = |key: &str| span.resource.iter().find(|kv| kv.key == key);
    let text = |key: &str| -> Option<String> {
        match find(key)?.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            Value::ArrayValue(list) => match list.values.first()?.value.as_ref()? {
                Value::StringValue(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        }
    };
    text("host.id")
        .or_else(|| text("host.ip"))
        .or_else(|| text("host.name"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::test_support::{kv_str, stored};

    const MS: u64 = 1_000_000;

    fn span(id: u64, parent: Option<u64>, host: &str, start_ms: u64, end_ms: u64) -> StoredSpan {
        let base = stored(1, id, parent, host, "op");
        StoredSpan {
            start_unix_nano: start_ms * MS,
            end_unix_nano: end_ms * MS,
            resource: Arc::from(vec![kv_str("host.name", host)]),
            ..base
        }
    }

    fn warnings(list: &[StoredSpan]) -> Vec<Vec<String>> {
        let mut spans: Vec<ShownSpan<'_>> = list.iter().map(ShownSpan::new).collect();
        warn(&mut spans);
        spans.into_iter().map(|s| s.warnings).collect()
    }

    /// A name, the spans, and the warnings each span should get.
    type Case = (&'static str, Vec<StoredSpan>, Vec<Vec<String>>);

    #[rustfmt::skip]
    #[test]
    fn skew_table() {
        let msg = |d: &str| vec![format!("clock skew adjustment disabled; not applying calculated delta of {d}")];
        let none: Vec<String> = Vec::new();
        let cases: Vec<Case> = vec![
            ("fits inside", vec![span(1, None, "a", 100, 200), span(2, Some(1), "b", 120, 180)], vec![none.clone(), none.clone()]),
            // Child of 20 ms starts 10 ms before a 100 ms parent: centre it, +50 ms.
            ("starts before", vec![span(1, None, "a", 100, 200), span(2, Some(1), "b", 90, 110)], vec![none.clone(), msg("50ms")]),
            // Ends after the parent: centre it, -50 ms.
            ("ends after", vec![span(1, None, "a", 100, 200), span(2, Some(1), "b", 190, 210)], vec![none.clone(), msg("-50ms")]),
            // Longer than the parent and starting earlier: move to the parent's start.
            ("longer child", vec![span(1, None, "a", 100, 110), span(2, Some(1), "b", 95, 300)], vec![none.clone(), msg("5ms")]),
            ("longer child, later start", vec![span(1, None, "a", 100, 110), span(2, Some(1), "b", 105, 300)], vec![none.clone(), none.clone()]),
            // Same host: no skew between them.
            ("same host", vec![span(1, None, "a", 100, 200), span(2, Some(1), "a", 90, 110)], vec![none.clone(), none.clone()]),
            // A same-host grandchild inherits its parent's skew, as in Jaeger.
            ("inherited", vec![span(1, None, "a", 100, 200), span(2, Some(1), "b", 90, 110), span(3, Some(2), "b", 95, 105)],
                vec![none.clone(), msg("50ms"), msg("50ms")]),
            ("missing parent", vec![span(2, Some(9), "b", 0, 1)],
                vec![vec!["parent span ID=0000000000000009 is not in the trace; skipping clock skew adjustment".to_owned()]]),
            ("duplicate", vec![span(1, None, "a", 0, 10), span(1, None, "b", 0, 10)],
                vec![none.clone(), vec!["duplicate span IDs; skipping clock skew adjustment".to_owned()]]),
        ];
        for (name, spans, want) in cases {
            assert_eq!(warnings(&spans), want, "{name}");
        }
    }
}
