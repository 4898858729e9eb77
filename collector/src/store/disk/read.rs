//! Reads of the disk store, each in one read transaction (a consistent snapshot that never
//! waits for the writer): services and operations from their count tables, traces by id,
//! and searches answered from the index tables.
//!
//! A search with a service walks one index newest first, chosen like the memory store
//! chooses (see `store::search`), with one more: a tag short enough to be indexed drives the
//! walk by itself. A candidate span is checked with [`TraceQuery::matches`] (its trace
//! loaded once) only when the index does not already prove every condition. Traces past the age bound
//! that the writer has not removed yet are skipped.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::DiskError;
use super::codec;
use super::rows::{indexable, operation_kind_prefix, operation_prefix, tag_prefix};
use super::tables::{self, KeyBuf, TraceMeta};
use crate::store::{Operation, StoreStats, StoredSpan, Trace, TraceQuery};

/// A snapshot of the store, read at wall-clock `now` (ns) with age bound `max_age` (ns).
pub(super) struct Reader {
    txn: ReadTransaction,
    now: u64,
    max_age: u64,
}

impl Reader {
    pub(super) fn new(txn: ReadTransaction, now: u64, max_age: u64) -> Self {
        Self { txn, now, max_age }
    }

    /// Services with stored spans, sorted.
    pub(super) fn services(&self) -> Result<Vec<String>, DiskError> {
        let table = self.txn.open_table(tables::SERVICES)?;
        table
            .iter()?
            .map(|entry| Ok(String::from_utf8_lossy(entry?.0.value()).into_owned()))
            .collect()
    }

    /// Operations of `service`, sorted by name then kind; only those of `kind` if given.
    pub(super) fn operations(
        &self,
        service: &str,
        kind: Option<SpanKind>,
    ) -> Result<Vec<Operation>, DiskError> {
        let table = self.txn.open_table(tables::OPERATIONS)?;
        let prefix = operation_kind_prefix(service).done();
        let mut operations = Vec::new();
        for entry in table.range(&prefix[..]..)? {
            let (key, _) = entry?;
            let Some(rest) = key.value().strip_prefix(&prefix[..]) else {
                break;
            };
            let Some((name, code)) = split_operation(rest) else {
                continue;
            };
            let op_kind = i32::try_from(code)
                .ok()
                .and_then(|code| SpanKind::try_from(code).ok())
                .unwrap_or(SpanKind::Unspecified);
            if kind.is_none_or(|wanted| wanted == op_kind) {
                operations.push(Operation {
                    name,
                    kind: op_kind,
                });
            }
        }
        operations.sort_unstable();
        Ok(operations)
    }

    /// One trace, unless unknown or past the age bound.
    pub(super) fn trace(&self, trace_id: &[u8; 16]) -> Result<Option<Trace>, DiskError> {
        if self.meta(trace_id)?.is_none() {
            return Ok(None);
        }
        let spans = self.spans(trace_id)?;
        Ok((!spans.is_empty()).then(|| Trace {
            trace_id: *trace_id,
            spans: spans.into_iter().map(|(_, span)| Arc::new(span)).collect(),
        }))
    }

    /// Current sizes; the lifetime counters are the caller's.
    pub(super) fn stats(&self) -> Result<StoreStats, DiskError> {
        let counters = self.txn.open_table(tables::COUNTERS)?;
        let counter =
            |name| -> Result<u64, DiskError> { Ok(counters.get(name)?.map_or(0, |v| v.value())) };
        let services = self.txn.open_table(tables::SERVICES)?;
        let mut spans_per_service = std::collections::BTreeMap::new();
        for entry in services.iter()? {
            let (name, count) = entry?;
            spans_per_service.insert(
                String::from_utf8_lossy(name.value()).into_owned(),
                count.value(),
            );
        }
        Ok(StoreStats {
            traces: usize::try_from(self.txn.open_table(tables::TRACES)?.len()?)
                .unwrap_or(usize::MAX),
            spans: usize::try_from(counter(tables::COUNTER_SPANS)?).unwrap_or(usize::MAX),
            bytes: usize::try_from(counter(tables::COUNTER_BYTES)?).unwrap_or(usize::MAX),
            spans_per_service,
            ..StoreStats::default()
        })
    }

    /// Traces matching `query`, newest (latest start) first, at most `query.limit`.
    pub(super) fn find(&self, query: &TraceQuery) -> Result<Vec<Trace>, DiskError> {
        if inverted(query.start_min, query.start_max)
            || inverted(query.duration_min, query.duration_max)
        {
            return Ok(Vec::new());
        }
        let limit = match query.limit {
            0 => usize::MAX,
            limit => limit,
        };
        let ids = match query.service.as_deref() {
            None => self.scan(query, limit)?,
            Some(service) => self.indexed(service, query, limit)?,
        };
        let mut hits = Vec::with_capacity(ids.len());
        for id in ids {
            if let (Some(meta), Some(trace)) = (self.meta(&id)?, self.trace(&id)?) {
                hits.push((meta, trace));
            }
        }
        hits.sort_unstable_by_key(|(meta, _)| Reverse((meta.start, meta.seq)));
        Ok(hits.into_iter().map(|(_, trace)| trace).collect())
    }

    fn indexed(
        &self,
        service: &str,
        query: &TraceQuery,
        limit: usize,
    ) -> Result<Vec<[u8; 16]>, DiskError> {
        let (min, max) = (
            query.start_min.unwrap_or(0),
            query.start_max.unwrap_or(u64::MAX),
        );
        let timeless = query.duration_min.is_none() && query.duration_max.is_none();
        let mut walk = Walk::new(limit);
        let by_tag = query.tags.iter().find(|(k, v)| indexable(k, v));
        if let Some((key, value)) = by_tag {
            walk.covered = query.tags.len() == 1 && query.operation.is_none() && timeless;
            let range = tag_prefix(service, key, value).window(min, max);
            self.walk_by_start(tables::BY_TAG, range, query, &mut walk)?;
        } else if let Some(operation) = query.operation.as_deref() {
            walk.covered = query.tags.is_empty() && timeless;
            let range = operation_prefix(service, operation).window(min, max);
            self.walk_by_start(tables::BY_OPERATION, range, query, &mut walk)?;
        } else if let Some(duration_min) = query.duration_min {
            walk.covered = query.tags.is_empty();
            let table = self.txn.open_table(tables::BY_DURATION)?;
            let duration_max = query.duration_max.unwrap_or(u64::MAX);
            let (low, high) = KeyBuf::new()
                .text(service)
                .window(duration_min, duration_max);
            let mut candidates = Vec::new();
            for entry in table.range(&low[..]..=&high[..])? {
                let (key, value) = entry?;
                let seq = tables::last_number(key.value());
                let value = value.value();
                let start = value
                    .get(16..24)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map_or(0, u64::from_be_bytes);
                if let Some(trace_id) = tables::trace_id(value)
                    && (min..=max).contains(&start)
                {
                    candidates.push((start, trace_id, seq));
                }
            }
            candidates.sort_unstable_by_key(|&(start, _, _)| Reverse(start));
            for (_, trace_id, seq) in candidates {
                if walk.offer(self, query, trace_id, seq)? {
                    break;
                }
            }
        } else {
            walk.covered = query.tags.is_empty() && timeless;
            let range = KeyBuf::new().text(service).window(min, max);
            self.walk_by_start(tables::BY_SERVICE, range, query, &mut walk)?;
        }
        Ok(walk.ids)
    }

    /// Offers the traces of an index range to `walk`, newest start first.
    fn walk_by_start(
        &self,
        table: TableDefinition<&[u8], &[u8]>,
        (low, high): (Vec<u8>, Vec<u8>),
        query: &TraceQuery,
        walk: &mut Walk,
    ) -> Result<(), DiskError> {
        let table = self.txn.open_table(table)?;
        for entry in table.range(&low[..]..=&high[..])?.rev() {
            let (key, value) = entry?;
            let Some(trace_id) = tables::trace_id(value.value()) else {
                continue;
            };
            if walk.offer(self, query, trace_id, tables::last_number(key.value()))? {
                break;
            }
        }
        Ok(())
    }

    /// Every trace with a matching span, by its latest matching start, up to `limit`. With
    /// a start window (what `/api/dependencies` asks) only the traces with a span in it are
    /// loaded, found through each service's start index.
    fn scan(&self, query: &TraceQuery, limit: usize) -> Result<Vec<[u8; 16]>, DiskError> {
        let candidates = if query.start_min.is_some() || query.start_max.is_some() {
            self.in_window(query)?
        } else {
            let traces = self.txn.open_table(tables::TRACES)?;
            let mut all = Vec::new();
            for entry in traces.iter()? {
                all.extend(tables::trace_id(entry?.0.value()));
            }
            all
        };
        let mut hits = Vec::new();
        for trace_id in candidates {
            let Some(meta) = self.meta(&trace_id)? else {
                continue;
            };
            let latest = self
                .spans(&trace_id)?
                .iter()
                .filter(|(_, span)| query.matches(span))
                .map(|(_, span)| span.start_unix_nano)
                .max();
            if let Some(start) = latest {
                hits.push((start, meta.seq, trace_id));
            }
        }
        hits.sort_unstable_by_key(|&(start, seq, _)| Reverse((start, seq)));
        Ok(hits.into_iter().take(limit).map(|(_, _, id)| id).collect())
    }

    /// Distinct traces with a span starting in the query's window, of any service.
    fn in_window(&self, query: &TraceQuery) -> Result<Vec<[u8; 16]>, DiskError> {
        let (min, max) = (
            query.start_min.unwrap_or(0),
            query.start_max.unwrap_or(u64::MAX),
        );
        let by_service = self.txn.open_table(tables::BY_SERVICE)?;
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        for service in self.services()? {
            let (low, high) = KeyBuf::new().text(&service).window(min, max);
            for entry in by_service.range(&low[..]..=&high[..])? {
                if let Some(trace_id) = tables::trace_id(entry?.1.value())
                    && seen.insert(trace_id)
                {
                    ids.push(trace_id);
                }
            }
        }
        Ok(ids)
    }

    /// The trace's record, unless unknown or past the age bound.
    fn meta(&self, trace_id: &[u8; 16]) -> Result<Option<TraceMeta>, DiskError> {
        let table = self.txn.open_table(tables::TRACES)?;
        let meta = table
            .get(&trace_id[..])?
            .and_then(|value| TraceMeta::decode(value.value()));
        Ok(meta.filter(|meta| !self.expired(meta)))
    }

    fn expired(&self, meta: &TraceMeta) -> bool {
        self.now.saturating_sub(meta.arrived) >= self.max_age
    }

    /// The spans of a trace with their sequence numbers, in the order they were written.
    fn spans(&self, trace_id: &[u8; 16]) -> Result<Vec<(u64, StoredSpan)>, DiskError> {
        let table = self.txn.open_table(tables::CHUNKS)?;
        let (low, high) = KeyBuf::new().bytes(trace_id).suffix_range();
        let mut spans = Vec::new();
        for entry in table.range(&low[..]..=&high[..])? {
            let (_, value) = entry?;
            spans.extend(codec::decode(*trace_id, value.value())?);
        }
        Ok(spans)
    }
}

/// Distinct trace ids of matching spans in the order offered, up to a limit.
struct Walk {
    /// Traces taken.
    ids: Vec<[u8; 16]>,
    taken: HashSet<[u8; 16]>,
    /// Sequence numbers of the matching spans of each trace loaded so far (an empty set for
    /// a trace past the age bound).
    matching: HashMap<[u8; 16], HashSet<u64>>,
    limit: usize,
    /// The index proves every condition: no need to load a candidate.
    covered: bool,
}

impl Walk {
    fn new(limit: usize) -> Self {
        Self {
            ids: Vec::new(),
            taken: HashSet::new(),
            matching: HashMap::new(),
            limit,
            covered: false,
        }
    }

    /// Takes span `seq`'s trace if the span matches; true once the limit is reached.
    fn offer(
        &mut self,
        reader: &Reader,
        query: &TraceQuery,
        trace_id: [u8; 16],
        seq: u64,
    ) -> Result<bool, DiskError> {
        if self.ids.len() >= self.limit {
            return Ok(true);
        }
        if self.taken.contains(&trace_id) {
            return Ok(false);
        }
        let matches = match self.matching.entry(trace_id) {
            Entry::Occupied(entry) => entry.get().contains(&seq),
            Entry::Vacant(entry) => {
                let seqs: HashSet<u64> = if reader.meta(&trace_id)?.is_none() {
                    HashSet::new()
                } else if self.covered {
                    HashSet::from([seq])
                } else {
                    reader
                        .spans(&trace_id)?
                        .into_iter()
                        .filter(|(_, span)| query.matches(span))
                        .map(|(seq, _)| seq)
                        .collect()
                };
                entry.insert(seqs).contains(&seq)
            }
        };
        if matches {
            self.taken.insert(trace_id);
            self.ids.push(trace_id);
        }
        Ok(self.ids.len() >= self.limit)
    }
}

/// Splits `operation ‖ kind` (see `rows::SpanRows::operation_kind`).
fn split_operation(rest: &[u8]) -> Option<(String, u64)> {
    let len = usize::try_from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
    let name = rest.get(4..4 + len)?;
    let kind = u64::from_be_bytes(rest.get(4 + len..)?.try_into().ok()?);
    Some((String::from_utf8_lossy(name).into_owned(), kind))
}

/// A `min > max` window matches nothing.
fn inverted(min: Option<u64>, max: Option<u64>) -> bool {
    matches!((min, max), (Some(min), Some(max)) if min > max)
}
