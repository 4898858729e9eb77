//! Every metric the collector exposes on `/metrics`, with its labels and help text: the one
//! list the exposition, `docs/METRICS.md` and the dashboard test read. Receiver and exporter
//! counters keep their names where they are counted (`pipeline`, `export`); they are listed
//! here by reference.

use crate::export::{
    DROPPED_SPANS, FAILED_SPANS, QUEUE_BYTES, QUEUE_CORRUPT_RECORDS, QUEUE_SPANS, RETRIES,
    SENT_SPANS,
};
use crate::pipeline::IngestCounters;

/// Label: the span's `service.name`.
pub const SERVICE: &str = "service";
/// Label: the span name.
pub const OPERATION: &str = "operation";
/// Label: the span kind (`server`, `client`, `internal`, `producer`, `consumer`,
/// `unspecified`).
pub const SPAN_KIND: &str = "span_kind";
/// Label: `2xx`..`5xx` from the HTTP status, else `ok` or `error` from the span status.
pub const STATUS_CLASS: &str = "status_class";
/// Label: the calling service of a service-graph edge.
pub const CLIENT: &str = "client";
/// Label: the called service of a service-graph edge.
pub const SERVER: &str = "server";
/// Label: why something was dropped.
pub const REASON: &str = "reason";
/// Label: the exporter's URL.
pub const EXPORTER: &str = crate::export::EXPORTER_LABEL;
/// Label: the tail-sampling policy that kept a trace (`none` without policies).
pub const POLICY: &str = "policy";
/// Label: what tail sampling did with a late span (`kept`, `dropped`).
pub const DECISION: &str = "decision";
/// Label: the receiver (`otlp_grpc`, `otlp_http`, `zipkin`).
pub const RECEIVER: &str = "receiver";

/// Latency per series, a Prometheus histogram rendered from the HDR histograms.
pub const SPAN_DURATION: &str = "meshtrace_span_duration_seconds";
/// Requests per series, weighted by adjusted count (a float counter).
pub const REQUESTS: &str = "meshtrace_requests_total";
/// Failed requests (span status error) per series, weighted.
pub const REQUEST_ERRORS: &str = "meshtrace_request_errors_total";
/// Calls from a client service to a server service, weighted.
pub const GRAPH_REQUESTS: &str = "meshtrace_service_graph_requests_total";
/// Failed calls on an edge (either span is an error), weighted.
pub const GRAPH_FAILED: &str = "meshtrace_service_graph_request_failed_total";
/// Client-side latency of the calls on an edge, a histogram.
pub const GRAPH_DURATION: &str = "meshtrace_service_graph_request_duration_seconds";
/// Client/server spans waiting for their partner (a gauge).
pub const GRAPH_PENDING: &str = "meshtrace_service_graph_pending_spans";
/// Spans that never found their partner, by `reason` (`expired`, `evicted`).
pub const GRAPH_UNPAIRED: &str = "meshtrace_service_graph_unpaired_spans_total";
/// Edges held (a gauge).
pub const GRAPH_EDGES: &str = "meshtrace_service_graph_edges";
/// Calls counted on the overflow edge because the edge cap was reached.
pub const GRAPH_OVERFLOW: &str = "meshtrace_service_graph_overflow_requests_total";
/// Spans the aggregation observed (unweighted).
pub const AGGREGATE_SPANS: &str = "meshtrace_aggregate_spans_total";
/// Latency series held (a gauge).
pub const AGGREGATE_SERIES: &str = "meshtrace_aggregate_series";
/// The configured series cap (a gauge).
pub const AGGREGATE_SERIES_LIMIT: &str = "meshtrace_aggregate_series_limit";
/// Spans that went to an overflow series because the cap was reached.
pub const AGGREGATE_OVERFLOW: &str = "meshtrace_aggregate_overflow_spans_total";
/// Traces held by the embedded store (a gauge).
pub const STORE_TRACES: &str = "meshtrace_store_traces";
/// Spans held by the embedded store (a gauge).
pub const STORE_SPANS: &str = "meshtrace_store_spans";
/// Traces evicted from the store to respect its bounds.
pub const STORE_EVICTED_TRACES: &str = "meshtrace_store_evicted_traces_total";
/// Spans the store dropped because their trace was full.
pub const STORE_DROPPED_SPANS: &str = "meshtrace_store_dropped_spans_total";
/// Traces tail sampling kept, by the policy that kept them.
pub const TAIL_KEPT: &str = "meshtrace_tail_traces_kept_total";
/// Traces tail sampling dropped.
pub const TAIL_DROPPED: &str = "meshtrace_tail_traces_dropped_total";
/// Traces decided before their deadline because the tail buffer was full.
pub const TAIL_DECIDED_EARLY: &str = "meshtrace_tail_traces_decided_early_total";
/// Spans that arrived after their trace was decided, by `decision`.
pub const TAIL_LATE_SPANS: &str = "meshtrace_tail_late_spans_total";
/// Traces waiting for a tail decision (a gauge).
pub const TAIL_TRACES_BUFFERED: &str = "meshtrace_tail_traces_buffered";
/// Spans waiting for a tail decision (a gauge).
pub const TAIL_SPANS_BUFFERED: &str = "meshtrace_tail_spans_buffered";
/// Bytes waiting for a tail decision (a gauge).
pub const TAIL_BYTES_BUFFERED: &str = "meshtrace_tail_bytes_buffered";
/// Resident memory of the collector process, bytes (a gauge; Linux only).
pub const PROCESS_RESIDENT_MEMORY: &str = "meshtrace_process_resident_memory_bytes";

/// How a metric is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic; the name ends in `_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// `_bucket`, `_sum` and `_count` series.
    Histogram,
}

/// One metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Its name as Prometheus sees it (counters with `_total`).
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// Its labels (`le` of histograms not included).
    pub labels: &'static [&'static str],
    /// The `# HELP` text.
    pub help: &'static str,
}

const SERIES_LABELS: &[&str] = &[SERVICE, OPERATION, SPAN_KIND, STATUS_CLASS];
const EDGE_LABELS: &[&str] = &[CLIENT, SERVER];

/// The metrics this module defines, in exposition order.
#[rustfmt::skip]
pub const OWN: &[Metric] = &[
    Metric { name: SPAN_DURATION, kind: Kind::Histogram, labels: SERIES_LABELS,
        help: "Span latency per service, operation, span kind and status class, weighted by adjusted count (HDR, 1 us .. 60 s, 3 digits)." },
    Metric { name: REQUESTS, kind: Kind::Counter, labels: SERIES_LABELS,
        help: "Requests (spans) weighted by adjusted count: an estimate of true traffic under head sampling." },
    Metric { name: REQUEST_ERRORS, kind: Kind::Counter, labels: SERIES_LABELS,
        help: "Requests whose span status is error, weighted by adjusted count." },
    Metric { name: GRAPH_REQUESTS, kind: Kind::Counter, labels: EDGE_LABELS,
        help: "Calls from the client service to the server service (paired client/server spans), weighted." },
    Metric { name: GRAPH_FAILED, kind: Kind::Counter, labels: EDGE_LABELS,
        help: "Calls on the edge where the client or the server span is an error, weighted." },
    Metric { name: GRAPH_DURATION, kind: Kind::Histogram, labels: EDGE_LABELS,
        help: "Client-side latency of the calls on the edge, weighted." },
    Metric { name: GRAPH_PENDING, kind: Kind::Gauge, labels: &[],
        help: "Client and server spans waiting for their partner span." },
    Metric { name: GRAPH_UNPAIRED, kind: Kind::Counter, labels: &[REASON],
        help: "Client and server spans dropped unpaired: expired (pairing window passed) or evicted (table full)." },
    Metric { name: GRAPH_EDGES, kind: Kind::Gauge, labels: &[],
        help: "Service graph edges held." },
    Metric { name: GRAPH_OVERFLOW, kind: Kind::Counter, labels: &[],
        help: "Calls counted on the __overflow__ edge because the edge cap was reached." },
    Metric { name: AGGREGATE_SPANS, kind: Kind::Counter, labels: &[],
        help: "Spans observed by the aggregation (unweighted)." },
    Metric { name: AGGREGATE_SERIES, kind: Kind::Gauge, labels: &[],
        help: "Latency series held." },
    Metric { name: AGGREGATE_SERIES_LIMIT, kind: Kind::Gauge, labels: &[],
        help: "The configured cap on latency series." },
    Metric { name: AGGREGATE_OVERFLOW, kind: Kind::Counter, labels: &[],
        help: "Spans aggregated into an __overflow__ series because the series cap was reached." },
    Metric { name: STORE_TRACES, kind: Kind::Gauge, labels: &[],
        help: "Traces held by the embedded store." },
    Metric { name: STORE_SPANS, kind: Kind::Gauge, labels: &[],
        help: "Spans held by the embedded store." },
    Metric { name: STORE_EVICTED_TRACES, kind: Kind::Counter, labels: &[],
        help: "Traces evicted from the store, oldest first, to respect its bounds." },
    Metric { name: STORE_DROPPED_SPANS, kind: Kind::Counter, labels: &[],
        help: "Spans the store dropped because their trace already had the most spans allowed." },
    Metric { name: TAIL_KEPT, kind: Kind::Counter, labels: &[POLICY],
        help: "Traces tail sampling kept, by the policy that kept them." },
    Metric { name: TAIL_DROPPED, kind: Kind::Counter, labels: &[],
        help: "Traces tail sampling dropped." },
    Metric { name: TAIL_DECIDED_EARLY, kind: Kind::Counter, labels: &[],
        help: "Traces decided before their deadline because the tail buffer was full." },
    Metric { name: TAIL_LATE_SPANS, kind: Kind::Counter, labels: &[DECISION],
        help: "Spans that arrived after their trace was decided, kept or dropped with it." },
    Metric { name: TAIL_TRACES_BUFFERED, kind: Kind::Gauge, labels: &[],
        help: "Traces waiting for a tail-sampling decision." },
    Metric { name: TAIL_SPANS_BUFFERED, kind: Kind::Gauge, labels: &[],
        help: "Spans waiting for a tail-sampling decision." },
    Metric { name: TAIL_BYTES_BUFFERED, kind: Kind::Gauge, labels: &[],
        help: "Approximate bytes waiting for a tail-sampling decision." },
    Metric { name: PROCESS_RESIDENT_MEMORY, kind: Kind::Gauge, labels: &[],
        help: "Resident memory of the collector process in bytes." },
];

/// The exporter metrics (names owned by `export`).
#[rustfmt::skip]
pub const EXPORTERS: &[Metric] = &[
    Metric { name: SENT_SPANS, kind: Kind::Counter, labels: &[EXPORTER],
        help: "Spans the exporter's backend accepted." },
    Metric { name: FAILED_SPANS, kind: Kind::Counter, labels: &[EXPORTER],
        help: "Spans the exporter gave up on (permanent error, retries spent, rejected, shutdown)." },
    Metric { name: DROPPED_SPANS, kind: Kind::Counter, labels: &[EXPORTER],
        help: "Spans never queued for the exporter because its queue was full or closed." },
    Metric { name: RETRIES, kind: Kind::Counter, labels: &[EXPORTER],
        help: "Export attempts repeated after a retryable failure." },
    Metric { name: QUEUE_SPANS, kind: Kind::Gauge, labels: &[EXPORTER],
        help: "Spans queued or in flight in the exporter." },
    Metric { name: QUEUE_BYTES, kind: Kind::Gauge, labels: &[EXPORTER],
        help: "Bytes of unacknowledged records in the exporter's persistent queue (0 in memory)." },
    Metric { name: QUEUE_CORRUPT_RECORDS, kind: Kind::Counter, labels: &[EXPORTER],
        help: "Torn or corrupt records the exporter's persistent queue skipped." },
];

/// The receiver counters (names owned by `pipeline`), read from the counters themselves so
/// no string is repeated here.
pub fn receivers() -> Vec<Metric> {
    let mut out: Vec<Metric> = Vec::new();
    for sample in IngestCounters::default().samples() {
        if out.iter().any(|m| m.name == sample.name) {
            continue;
        }
        let labels: &'static [&'static str] = if sample.labels.len() > 1 {
            &[RECEIVER, REASON]
        } else {
            &[RECEIVER]
        };
        out.push(Metric {
            name: sample.name,
            kind: Kind::Counter,
            labels,
            help: receiver_help(sample.name),
        });
    }
    out
}

fn receiver_help(name: &str) -> &'static str {
    if name.contains("accepted") {
        "Spans a receiver accepted and handed to the pipeline."
    } else if name.contains("rejected") {
        "Spans a receiver rejected one by one (OTLP partial success)."
    } else {
        "Requests a receiver refused whole, by reason."
    }
}

/// Every metric family the collector exposes.
pub fn all() -> Vec<Metric> {
    let mut out = OWN.to_vec();
    out.extend(receivers());
    out.extend_from_slice(EXPORTERS);
    out
}

/// Every sample name that can appear in the exposition (histograms as `_bucket`, `_sum`,
/// `_count`): what a dashboard or rule may query.
pub fn sample_names() -> Vec<String> {
    let mut out = Vec::new();
    for metric in all() {
        match metric.kind {
            Kind::Histogram => {
                for suffix in ["_bucket", "_sum", "_count"] {
                    out.push(format!("{}{suffix}", metric.name));
                }
            }
            Kind::Counter | Kind::Gauge => out.push(metric.name.to_owned()),
        }
    }
    out
}
