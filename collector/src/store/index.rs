//! Secondary indexes over the stored spans, kept in step with the trace map: per service,
//! spans by start time and by duration; per operation of a service, spans by start time and
//! the span kinds seen. Keys are `(value, seq)` where `seq` is unique per stored span, so
//! equal start times or durations never collide.
//!
//! Tags are not indexed: a tag search walks the candidates these indexes give (one
//! service's spans in the time window), which keeps memory per span small. Only a search
//! without a service scans every trace.

use std::collections::BTreeMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::{Operation, StoredSpan};

/// An index key: the indexed value (start time or duration, ns), then the span's `seq`.
pub(super) type Key = (u64, u64);

/// Spans ordered by [`Key`].
pub(super) type SpanMap = BTreeMap<Key, Arc<StoredSpan>>;

/// All indexes, by service name.
#[derive(Debug, Default)]
pub(super) struct Indexes {
    services: BTreeMap<Arc<str>, ServiceIndex>,
}

/// The spans of one service.
#[derive(Debug, Default)]
pub(super) struct ServiceIndex {
    /// By start time.
    pub(super) by_start: SpanMap,
    /// By duration.
    pub(super) by_duration: SpanMap,
    /// By operation name.
    pub(super) operations: BTreeMap<String, OperationIndex>,
}

/// The spans of one operation of one service.
#[derive(Debug, Default)]
pub(super) struct OperationIndex {
    /// By start time.
    pub(super) by_start: SpanMap,
    /// Spans held per kind, for `/api/operations?spanKind=`.
    kinds: BTreeMap<SpanKind, u64>,
}

impl Indexes {
    /// Indexes a newly stored span.
    pub(super) fn add(&mut self, seq: u64, span: &Arc<StoredSpan>) {
        let svc = self.services.entry(Arc::clone(&span.service)).or_default();
        svc.by_start
            .insert((span.start_unix_nano, seq), Arc::clone(span));
        svc.by_duration
            .insert((span.duration_nanos(), seq), Arc::clone(span));
        // Looked up before inserting: most spans' operation is known, and an entry would
        // allocate its name every time.
        if !svc.operations.contains_key(&span.name) {
            svc.operations
                .insert(span.name.clone(), OperationIndex::default());
        }
        // Just inserted when it was missing: never `None`.
        let Some(op) = svc.operations.get_mut(&span.name) else {
            return;
        };
        op.by_start
            .insert((span.start_unix_nano, seq), Arc::clone(span));
        *op.kinds.entry(span.kind).or_default() += 1;
    }

    /// Forgets a span that [`Indexes::add`] indexed with the same `seq`.
    pub(super) fn remove(&mut self, seq: u64, span: &StoredSpan) {
        let Some(svc) = self.services.get_mut(&span.service) else {
            return;
        };
        svc.by_start.remove(&(span.start_unix_nano, seq));
        svc.by_duration.remove(&(span.duration_nanos(), seq));
        if let Some(op) = svc.operations.get_mut(&span.name) {
            op.by_start.remove(&(span.start_unix_nano, seq));
            if let Some(count) = op.kinds.get_mut(&span.kind) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    op.kinds.remove(&span.kind);
                }
            }
            if op.by_start.is_empty() {
                svc.operations.remove(&span.name);
            }
        }
        if svc.by_start.is_empty() {
            self.services.remove(&span.service);
        }
    }

    /// The index of one service, if it has spans.
    pub(super) fn service(&self, name: &str) -> Option<&ServiceIndex> {
        self.services.get(name)
    }

    /// Every service with spans, sorted by name.
    pub(super) fn services(&self) -> impl Iterator<Item = (&Arc<str>, &ServiceIndex)> {
        self.services.iter()
    }
}

impl ServiceIndex {
    /// Operations of this service, sorted by name then kind; only those of `kind` if given.
    pub(super) fn operations(&self, kind: Option<SpanKind>) -> Vec<Operation> {
        self.operations
            .iter()
            .flat_map(|(name, op)| {
                op.kinds
                    .keys()
                    .filter(move |k| kind.is_none_or(|wanted| **k == wanted))
                    .map(move |k| Operation {
                        name: name.clone(),
                        kind: *k,
                    })
            })
            .collect()
    }
}
