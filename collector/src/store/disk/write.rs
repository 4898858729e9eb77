//! One write transaction of the disk store: spans in (one chunk per trace per write, with
//! their index rows), the bounds enforced as the memory store does (spans per trace, traces,
//! bytes: oldest trace evicted first), traces past the age bound expired. Every method
//! leaves the tables consistent with each other and with the counters.

use std::collections::HashMap;
use std::time::Duration;

use redb::{ReadableTable, ReadableTableMetadata, Table, WriteTransaction};

use super::DiskError;
use super::codec;
use super::rows::SpanRows;
use super::tables::{self, KeyBuf, TraceMeta};
use crate::store::inner::Limits;
use crate::store::{InsertOutcome, StoredSpan, approximate_size};

type Bytes<'t> = Table<'t, &'static [u8], &'static [u8]>;
type Counts<'t> = Table<'t, &'static [u8], u64>;

/// The tables of the disk store, open in one write transaction, and its counters.
pub(super) struct Tables<'t> {
    chunks: Bytes<'t>,
    traces: Bytes<'t>,
    arrivals: Table<'t, u64, &'static [u8]>,
    by_service: Bytes<'t>,
    by_operation: Bytes<'t>,
    by_duration: Bytes<'t>,
    by_tag: Bytes<'t>,
    services: Counts<'t>,
    operations: Counts<'t>,
    counters: Table<'t, &'static str, u64>,
    spans: u64,
    bytes: u64,
    next_trace_seq: u64,
    next_span_seq: u64,
    next_chunk_seq: u64,
}

impl<'t> Tables<'t> {
    /// Opens (creating when missing) every table in `txn`.
    pub(super) fn open(txn: &'t WriteTransaction) -> Result<Self, DiskError> {
        let counters = txn.open_table(tables::COUNTERS)?;
        let read = |name: &str| -> Result<u64, DiskError> {
            Ok(counters.get(name)?.map_or(0, |v| v.value()))
        };
        let (spans, bytes) = (read(tables::COUNTER_SPANS)?, read(tables::COUNTER_BYTES)?);
        let next_trace_seq = read(tables::COUNTER_TRACE_SEQ)?;
        let next_span_seq = read(tables::COUNTER_SPAN_SEQ)?;
        let next_chunk_seq = read(tables::COUNTER_CHUNK_SEQ)?;
        Ok(Self {
            chunks: txn.open_table(tables::CHUNKS)?,
            traces: txn.open_table(tables::TRACES)?,
            arrivals: txn.open_table(tables::ARRIVALS)?,
            by_service: txn.open_table(tables::BY_SERVICE)?,
            by_operation: txn.open_table(tables::BY_OPERATION)?,
            by_duration: txn.open_table(tables::BY_DURATION)?,
            by_tag: txn.open_table(tables::BY_TAG)?,
            services: txn.open_table(tables::SERVICES)?,
            operations: txn.open_table(tables::OPERATIONS)?,
            counters,
            spans,
            bytes,
            next_trace_seq,
            next_span_seq,
            next_chunk_seq,
        })
    }

    /// Writes the counters back; call before committing.
    pub(super) fn finish(mut self) -> Result<(), DiskError> {
        for (name, value) in [
            (tables::COUNTER_SPANS, self.spans),
            (tables::COUNTER_BYTES, self.bytes),
            (tables::COUNTER_TRACE_SEQ, self.next_trace_seq),
            (tables::COUNTER_SPAN_SEQ, self.next_span_seq),
            (tables::COUNTER_CHUNK_SEQ, self.next_chunk_seq),
        ] {
            self.counters.insert(name, value)?;
        }
        Ok(())
    }

    /// Stores spans that arrived at `arrived` (wall clock, ns), one trace at a time in the
    /// order their traces first appear, evicting the oldest other traces as the bounds
    /// require.
    pub(super) fn insert(
        &mut self,
        spans: Vec<StoredSpan>,
        arrived: u64,
        limits: &Limits,
    ) -> Result<InsertOutcome, DiskError> {
        let mut outcome = InsertOutcome::default();
        let mut positions: HashMap<[u8; 16], usize> = HashMap::new();
        let mut groups: Vec<([u8; 16], Vec<StoredSpan>)> = Vec::new();
        for span in spans {
            let position = *positions.entry(span.trace_id).or_insert_with(|| {
                groups.push((span.trace_id, Vec::new()));
                groups.len() - 1
            });
            if let Some((_, group)) = groups.get_mut(position) {
                group.push(span);
            }
        }
        for (trace_id, spans) in groups {
            self.insert_trace(trace_id, spans, arrived, limits, &mut outcome)?;
        }
        Ok(outcome)
    }

    fn insert_trace(
        &mut self,
        trace_id: [u8; 16],
        spans: Vec<StoredSpan>,
        arrived: u64,
        limits: &Limits,
        outcome: &mut InsertOutcome,
    ) -> Result<(), DiskError> {
        let existing = self.meta(&trace_id)?;
        let max_bytes = limits.max_bytes as u64;
        let mut accepted: Vec<(u64, StoredSpan)> = Vec::new();
        let mut added_bytes = 0;
        for span in spans {
            let size = approximate_size(&span) as u64;
            let held = existing.map_or(0, |m| m.spans) + accepted.len() as u64;
            if held >= limits.max_spans_per_trace as u64 || size > max_bytes {
                outcome.dropped += 1;
                continue;
            }
            if existing.is_none() && accepted.is_empty() {
                while self.traces.len()? >= limits.max_traces as u64
                    && self.evict_oldest_except(&trace_id)?
                {
                    outcome.evicted += 1;
                }
            }
            let mut fits = true;
            while self.bytes + size > max_bytes {
                if !self.evict_oldest_except(&trace_id)? {
                    fits = false;
                    break;
                }
                outcome.evicted += 1;
            }
            if !fits {
                outcome.dropped += 1;
                continue;
            }
            self.bytes += size;
            self.spans += 1;
            added_bytes += size;
            accepted.push((self.next_span_seq, span));
            self.next_span_seq += 1;
        }
        if accepted.is_empty() {
            return Ok(());
        }
        outcome.stored += accepted.len();
        self.write_trace(trace_id, existing, &accepted, arrived, added_bytes)
    }

    /// Writes accepted spans of one trace: a chunk, their index rows, the trace's meta.
    fn write_trace(
        &mut self,
        trace_id: [u8; 16],
        existing: Option<TraceMeta>,
        spans: &[(u64, StoredSpan)],
        arrived: u64,
        added_bytes: u64,
    ) -> Result<(), DiskError> {
        let mut counts = CountChanges::default();
        for (seq, span) in spans {
            let rows = SpanRows::of(*seq, span);
            self.by_service.insert(&rows.service[..], &trace_id[..])?;
            self.by_operation
                .insert(&rows.operation[..], &trace_id[..])?;
            let with_start = KeyBuf::new()
                .bytes(&trace_id)
                .num(span.start_unix_nano)
                .done();
            self.by_duration
                .insert(&rows.duration[..], &with_start[..])?;
            for tag in &rows.tags {
                self.by_tag.insert(&tag[..], &trace_id[..])?;
            }
            counts.add(span, rows.operation_kind, 1);
        }
        counts.apply(&mut self.services, &mut self.operations)?;
        let chunk_key = KeyBuf::new()
            .bytes(&trace_id)
            .num(self.next_chunk_seq)
            .done();
        self.next_chunk_seq += 1;
        self.chunks
            .insert(&chunk_key[..], &codec::encode(spans)[..])?;
        let start = spans
            .iter()
            .map(|(_, span)| span.start_unix_nano)
            .min()
            .unwrap_or(0);
        let meta = match existing {
            Some(meta) => TraceMeta {
                start: meta.start.min(start),
                spans: meta.spans + spans.len() as u64,
                bytes: meta.bytes + added_bytes,
                ..meta
            },
            None => {
                let seq = self.next_trace_seq;
                self.next_trace_seq += 1;
                self.arrivals.insert(seq, &trace_id[..])?;
                TraceMeta {
                    seq,
                    arrived,
                    start,
                    spans: spans.len() as u64,
                    bytes: added_bytes,
                }
            }
        };
        self.traces.insert(&trace_id[..], &meta.encode()[..])?;
        Ok(())
    }

    /// Removes every trace whose first span arrived `max_age` or longer before `now` (wall
    /// clock, ns); returns how many.
    pub(super) fn expire(&mut self, now: u64, max_age: Duration) -> Result<usize, DiskError> {
        let max_age = u64::try_from(max_age.as_nanos()).unwrap_or(u64::MAX);
        let mut expired = 0;
        loop {
            let Some((seq, trace_id)) = self.oldest(None)? else {
                break;
            };
            match self.meta(&trace_id)? {
                Some(meta) if now.saturating_sub(meta.arrived) < max_age => break,
                Some(_) => {
                    self.remove_trace(&trace_id)?;
                    expired += 1;
                }
                // An arrival without its trace: nothing else to remove.
                None => {
                    self.arrivals.remove(seq)?;
                }
            }
        }
        Ok(expired)
    }

    /// Evicts the oldest traces until the trace count and byte bounds hold (they may have
    /// been lowered since the data was written); returns how many.
    pub(super) fn trim(&mut self, limits: &Limits) -> Result<usize, DiskError> {
        // No stored trace has the all-zero id, so nothing is kept.
        let none = [0; 16];
        let mut evicted = 0;
        while (self.traces.len()? > limits.max_traces as u64
            || self.bytes > limits.max_bytes as u64)
            && self.evict_oldest_except(&none)?
        {
            evicted += 1;
        }
        Ok(evicted)
    }

    /// Evicts the oldest trace other than `keep`; false when there is none.
    fn evict_oldest_except(&mut self, keep: &[u8; 16]) -> Result<bool, DiskError> {
        let Some((seq, trace_id)) = self.oldest(Some(keep))? else {
            return Ok(false);
        };
        if self.meta(&trace_id)?.is_some() {
            self.remove_trace(&trace_id)?;
        } else {
            self.arrivals.remove(seq)?;
        }
        Ok(true)
    }

    /// The oldest arrival other than `keep`: the first, or the second when the first is
    /// `keep`.
    fn oldest(&self, keep: Option<&[u8; 16]>) -> Result<Option<(u64, [u8; 16])>, DiskError> {
        for entry in self.arrivals.iter()?.take(2) {
            let (seq, id) = entry?;
            let trace_id = tables::trace_id(id.value()).ok_or(DiskError::Corrupt("arrival"))?;
            if Some(&trace_id) != keep {
                return Ok(Some((seq.value(), trace_id)));
            }
        }
        Ok(None)
    }

    fn meta(&self, trace_id: &[u8; 16]) -> Result<Option<TraceMeta>, DiskError> {
        match self.traces.get(&trace_id[..])? {
            None => Ok(None),
            Some(value) => TraceMeta::decode(value.value())
                .map(Some)
                .ok_or(DiskError::Corrupt("trace record")),
        }
    }

    /// Removes a trace: its chunks, index rows, counts, meta and arrival.
    fn remove_trace(&mut self, trace_id: &[u8; 16]) -> Result<(), DiskError> {
        let Some(meta) = self.meta(trace_id)? else {
            return Ok(());
        };
        let (low, high) = KeyBuf::new().bytes(trace_id).suffix_range();
        let mut chunk_keys = Vec::new();
        let mut spans = Vec::new();
        for entry in self.chunks.range(&low[..]..=&high[..])? {
            let (key, value) = entry?;
            chunk_keys.push(key.value().to_vec());
            spans.extend(codec::decode(*trace_id, value.value())?);
        }
        let mut counts = CountChanges::default();
        for (seq, span) in &spans {
            let rows = SpanRows::of(*seq, span);
            self.by_service.remove(&rows.service[..])?;
            self.by_operation.remove(&rows.operation[..])?;
            self.by_duration.remove(&rows.duration[..])?;
            for tag in &rows.tags {
                self.by_tag.remove(&tag[..])?;
            }
            counts.add(span, rows.operation_kind, -1);
        }
        counts.apply(&mut self.services, &mut self.operations)?;
        for key in chunk_keys {
            self.chunks.remove(&key[..])?;
        }
        self.traces.remove(&trace_id[..])?;
        self.arrivals.remove(meta.seq)?;
        self.spans = self.spans.saturating_sub(meta.spans);
        self.bytes = self.bytes.saturating_sub(meta.bytes);
        Ok(())
    }
}

/// Changes to the span counts per service and per operation, summed over a trace's spans
/// so each key is read and written once.
#[derive(Default)]
struct CountChanges {
    services: HashMap<Vec<u8>, i64>,
    operations: HashMap<Vec<u8>, i64>,
}

impl CountChanges {
    fn add(&mut self, span: &StoredSpan, operation_kind: Vec<u8>, delta: i64) {
        *self
            .services
            .entry(span.service.as_bytes().to_vec())
            .or_default() += delta;
        *self.operations.entry(operation_kind).or_default() += delta;
    }

    fn apply(
        self,
        services: &mut Counts<'_>,
        operations: &mut Counts<'_>,
    ) -> Result<(), DiskError> {
        for (key, delta) in self.services {
            bump(services, &key, delta)?;
        }
        for (key, delta) in self.operations {
            bump(operations, &key, delta)?;
        }
        Ok(())
    }
}

/// Changes the count under `key` by `delta`; a count of zero removes the key.
fn bump(table: &mut Counts<'_>, key: &[u8], delta: i64) -> Result<(), DiskError> {
    let current = table.get(key)?.map_or(0, |v| v.value());
    let next = current.saturating_add_signed(delta);
    if next == 0 {
        table.remove(key)?;
    } else {
        table.insert(key, next)?;
    }
    Ok(())
}
