//! Memory per buffered span: the spans of 64 sidecar export requests (32,768 spans) are
//! received and buffered (decision wait of an hour, so nothing leaves), and the heap they
//! hold is compared with their OTLP protobuf size. Counted with a counting global allocator,
//! which is why this is its own bench (its atomics would slow the throughput bench).

// A bench is not public API.
#![allow(missing_docs)]
// Setup failures in a bench may panic: it is not shipped code.
#![allow(clippy::expect_used)]

mod support;

use std::alloc::System;
use std::hint::black_box;
use std::sync::Arc;

use collector::receiver::otlp::convert_request;
use collector::tail::{TailCounters, TailLimits, TailShards};
use prost::Message;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use support::{POLICIES, policies_from, receive, requests};
use tokio::time::Instant;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated.
fn live_bytes() -> isize {
    // `bytes_allocated`/`bytes_deallocated` include the growth and shrinking of reallocations.
    let stats = GLOBAL.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize
}

/// Buffers every span of `requests` (no decision: the wait is an hour) and prints the heap
/// it holds per span against the spans' OTLP protobuf size.
fn memory_per_buffered_span(requests: &[Vec<u8>]) {
    let doc = POLICIES
        .replace("decision_wait: 5s", "decision_wait: 1h")
        .replace("decision_wait_after_root_received: 1s\n", "");
    let set = policies_from(&doc);
    let mut spans = 0usize;
    let mut span_bytes = 0usize;
    let mut request_bytes = 0usize;
    let before = live_bytes();
    let mut tail = TailShards::new(
        set,
        TailLimits::default(),
        Arc::new(TailCounters::default()),
        1,
    );
    let now = Instant::now();
    let mut out = Vec::new();
    for (n, bytes) in requests.iter().enumerate() {
        let request = receive(requests, n);
        for span in request
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
        {
            spans += 1;
            // The span as a repeated field of its scope: tag, length, message.
            let len = span.encoded_len();
            span_bytes += 1 + prost::length_delimiter_len(len) + len;
        }
        request_bytes += bytes.len();
        tail.accept(convert_request(request).spans, now, &mut out);
    }
    assert!(out.is_empty(), "nothing is decided within the hour");
    let held = (live_bytes() - before) as f64;
    let per_span = held / spans as f64;
    let proto = span_bytes as f64 / spans as f64;
    let request = request_bytes as f64 / spans as f64;
    println!(
        "memory: {spans} spans buffered hold {held:.0} heap bytes: {per_span:.0} B/span; \
         OTLP span {proto:.0} B ({:.2}x), request bytes per span {request:.0} B ({:.2}x)",
        per_span / proto,
        per_span / request,
    );
    black_box(tail);
}

/// For comparison: the same spans as the receivers hand them over (`StoredSpan`s, as
/// decoded), held in a `Vec`.
fn memory_per_decoded_span(requests: &[Vec<u8>]) {
    let before = live_bytes();
    let decoded: Vec<Vec<_>> = (0..requests.len())
        .map(|n| convert_request(receive(requests, n)).spans)
        .collect();
    let spans: usize = decoded.iter().map(Vec::len).sum();
    let held = (live_bytes() - before) as f64;
    println!(
        "memory: the same {spans} spans as decoded StoredSpans hold {held:.0} heap bytes: \
         {:.0} B/span",
        held / spans as f64
    );
    black_box(decoded);
}

fn main() {
    let requests = requests();
    memory_per_buffered_span(&requests);
    memory_per_decoded_span(&requests);
}
