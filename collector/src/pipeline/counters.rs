//! Ingest counters: what every receiver accepted, rejected span by span, and refused whole.
//!
//! Plain atomics, bumped on the request path without locks. Metric names and label values
//! live here and nowhere else, so the Prometheus endpoint (a later issue) and the dashboards
//! read the same strings.

use std::sync::atomic::{AtomicU64, Ordering};

/// Spans a receiver handed to the pipeline.
pub const ACCEPTED_SPANS: &str = "meshtrace_receiver_accepted_spans_total";
/// Spans a receiver rejected one by one (OTLP partial success).
pub const REJECTED_SPANS: &str = "meshtrace_receiver_rejected_spans_total";
/// Requests a receiver refused whole, labelled by `receiver` and `reason`.
pub const REFUSED_REQUESTS: &str = "meshtrace_receiver_refused_requests_total";
/// Label naming the receiver.
pub const RECEIVER_LABEL: &str = "receiver";
/// Label naming why a request was refused.
pub const REASON_LABEL: &str = "reason";

/// Which receiver a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// OTLP/gRPC `TraceService/Export`.
    OtlpGrpc,
    /// OTLP/HTTP `POST /v1/traces`.
    OtlpHttp,
    /// Zipkin `POST /api/v2/spans`.
    Zipkin,
}

impl Receiver {
    /// Every receiver, in label order.
    pub const ALL: [Receiver; 3] = [Receiver::OtlpGrpc, Receiver::OtlpHttp, Receiver::Zipkin];

    /// The `receiver` label value.
    pub const fn label(self) -> &'static str {
        match self {
            Receiver::OtlpGrpc => "otlp_grpc",
            Receiver::OtlpHttp => "otlp_http",
            Receiver::Zipkin => "zipkin",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// Why a whole request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The body is larger than `max_request_bytes` (413 / `RESOURCE_EXHAUSTED`).
    TooLarge,
    /// The body could not be read or decoded (400 / `INVALID_ARGUMENT`).
    Malformed,
    /// Unknown `Content-Type` or `Content-Encoding` (415).
    UnsupportedMediaType,
    /// The pipeline was full (429 / `UNAVAILABLE`).
    PipelineFull,
    /// The collector was shutting down (503 / `UNAVAILABLE`).
    ShuttingDown,
    /// The collector was over its memory limit (429 / `UNAVAILABLE`).
    MemoryLimit,
}

impl Refusal {
    /// Every reason, in label order.
    pub const ALL: [Refusal; 6] = [
        Refusal::TooLarge,
        Refusal::Malformed,
        Refusal::UnsupportedMediaType,
        Refusal::PipelineFull,
        Refusal::ShuttingDown,
        Refusal::MemoryLimit,
    ];

    /// The `reason` label value.
    pub const fn label(self) -> &'static str {
        match self {
            Refusal::TooLarge => "too_large",
            Refusal::Malformed => "malformed",
            Refusal::UnsupportedMediaType => "unsupported_media_type",
            Refusal::PipelineFull => "pipeline_full",
            Refusal::ShuttingDown => "shutting_down",
            Refusal::MemoryLimit => "memory_limit",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// One counter value with its name and labels, ready for an exposition format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Metric name, one of this module's constants.
    pub name: &'static str,
    /// Label pairs.
    pub labels: Vec<(&'static str, &'static str)>,
    /// Count since start.
    pub value: u64,
}

/// Counters shared by every receiver (through the [`Pipeline`](super::Pipeline)).
#[derive(Debug, Default)]
pub struct IngestCounters {
    accepted: [AtomicU64; Receiver::ALL.len()],
    rejected: [AtomicU64; Receiver::ALL.len()],
    refused: [[AtomicU64; Refusal::ALL.len()]; Receiver::ALL.len()],
}

impl IngestCounters {
    /// Counts `spans` handed to the pipeline by `receiver`.
    pub fn add_accepted(&self, receiver: Receiver, spans: usize) {
        self.accepted[receiver.index()].fetch_add(as_u64(spans), Ordering::Relaxed);
    }

    /// Counts `spans` rejected one by one by `receiver`.
    pub fn add_rejected(&self, receiver: Receiver, spans: usize) {
        self.rejected[receiver.index()].fetch_add(as_u64(spans), Ordering::Relaxed);
    }

    /// Counts one request refused whole.
    pub fn add_refused(&self, receiver: Receiver, reason: Refusal) {
        self.refused[receiver.index()][reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Spans accepted by `receiver` so far.
    pub fn accepted(&self, receiver: Receiver) -> u64 {
        self.accepted[receiver.index()].load(Ordering::Relaxed)
    }

    /// Spans rejected one by one by `receiver` so far.
    pub fn rejected(&self, receiver: Receiver) -> u64 {
        self.rejected[receiver.index()].load(Ordering::Relaxed)
    }

    /// Requests refused by `receiver` for `reason` so far.
    pub fn refused(&self, receiver: Receiver, reason: Refusal) -> u64 {
        self.refused[receiver.index()][reason.index()].load(Ordering::Relaxed)
    }

    /// Every counter, zeros included, so a dashboard never sees a series appear late.
    pub fn samples(&self) -> Vec<Sample> {
        let mut out = Vec::new();
        for receiver in Receiver::ALL {
            let labels = vec![(RECEIVER_LABEL, receiver.label())];
            out.push(Sample {
                name: ACCEPTED_SPANS,
                labels: labels.clone(),
                value: self.accepted(receiver),
            });
            out.push(Sample {
                name: REJECTED_SPANS,
                labels,
                value: self.rejected(receiver),
            });
            for reason in Refusal::ALL {
                out.push(Sample {
                    name: REFUSED_REQUESTS,
                    labels: vec![
                        (RECEIVER_LABEL, receiver.label()),
                        (REASON_LABEL, reason.label()),
                    ],
                    value: self.refused(receiver, reason),
                });
            }
        }
        out
    }
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_receiver_and_reason() {
        let counters = IngestCounters::default();
        counters.add_accepted(Receiver::Zipkin, 3);
        counters.add_rejected(Receiver::OtlpHttp, 2);
        counters.add_refused(Receiver::OtlpGrpc, Refusal::TooLarge);
        counters.add_refused(Receiver::OtlpGrpc, Refusal::TooLarge);
        assert_eq!(counters.accepted(Receiver::Zipkin), 3);
        assert_eq!(counters.accepted(Receiver::OtlpHttp), 0);
        assert_eq!(counters.rejected(Receiver::OtlpHttp), 2);
        assert_eq!(counters.refused(Receiver::OtlpGrpc, Refusal::TooLarge), 2);
        assert_eq!(counters.refused(Receiver::OtlpGrpc, Refusal::Malformed), 0);
    }

    #[test]
    fn samples_cover_every_series() {
        let counters = IngestCounters::default();
        counters.add_refused(Receiver::Zipkin, Refusal::PipelineFull);
        let samples = counters.samples();
        assert_eq!(samples.len(), 3 * (2 + Refusal::ALL.len()));
        let full = samples
            .iter()
            .find(|s| {
                s.name == REFUSED_REQUESTS
                    && s.labels == [("receiver", "zipkin"), ("reason", "pipeline_full")]
            })
            .unwrap();
        assert_eq!(full.value, 1);
    }
}
