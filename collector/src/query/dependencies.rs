//! `/api/dependencies` from the stored traces: every span whose parent (as shown, so the
//! server half of a Zipkin shared span counts as called by its client half) belongs to
//! another service is one call from the parent's service to the span's. Like jaeger's
//! memory store (`plugin/storage/memory/memory.go` `GetDependencies`), links are computed on
//! demand; each call is counted in the window of its (child) span's start.

use std::collections::{BTreeMap, HashMap};

use super::adjust::adjust;
use super::model::DependencyLink;
use super::params::DependencyWindow;
use crate::store::Trace;

/// Caller -> callee links with call counts, sorted by parent then child; only those
/// touching `window.service` when given.
pub fn dependencies(traces: &[Trace], window: &DependencyWindow) -> Vec<DependencyLink> {
    let mut calls: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let shown: Vec<_> = traces.iter().map(adjust).collect();
    for spans in &shown {
        let service_of: HashMap<[u8; 8], &str> = spans
            .iter()
            .map(|s| (s.span_id, &*s.span.service))
            .collect();
        for child in spans {
            let start = child.span.start_unix_nano;
            if start < window.start || start > window.end {
                continue;
            }
            let Some(parent) = child.parent_span_id.and_then(|id| service_of.get(&id)) else {
                continue;
            };
            let callee = &*child.span.service;
            if *parent != callee {
                *calls.entry((parent, callee)).or_default() += 1;
            }
        }
    }
    calls
        .into_iter()
        .filter(|((parent, child), _)| {
            window
                .service
                .as_deref()
                .is_none_or(|s| s == *parent || s == *child)
        })
        .map(|((parent, child), call_count)| DependencyLink {
            parent: parent.to_owned(),
            child: child.to_owned(),
            call_count,
        })
        .collect()
}
