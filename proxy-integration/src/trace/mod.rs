//! Tracing at the edge of the proxy: read the caller's context, make the head decision, hand
//! the next hop a child context, and record the span when the exchange ends.

mod request_id;
mod span;

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http::HeaderMap;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use sampler::head::{RequestInfo, SamplingInput};
use sampler::{Propagation, SpanContext, SpanId, TraceId};

use crate::export::SpanSink;
use crate::sampling::SamplingControl;
use crate::stats::Stats;
pub(crate) use span::kv;
pub use span::{Outcome, SpanRecord};

/// Which side of the workload a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Requests into the workload: a server span.
    Inbound,
    /// Requests the workload makes: a client span.
    Outbound,
}

impl Direction {
    fn span_kind(self) -> SpanKind {
        match self {
            Direction::Inbound => SpanKind::Server,
            Direction::Outbound => SpanKind::Client,
        }
    }
}

/// The other side of an exchange, as recorded on the span.
#[derive(Debug, Clone, Copy)]
pub struct Peer<'a> {
    /// Host name or IP address.
    pub host: &'a str,
    /// Port, when known.
    pub port: Option<u16>,
}

/// `x-envoy-force-trace`: forces a trace when the caller is trusted.
const FORCE_TRACE: &str = "x-envoy-force-trace";

impl Peer<'_> {
    /// Whether a request from this peer may force a trace: only the pod's own workload (the
    /// outbound side, or loopback), never an arbitrary caller from the network.
    fn trusted(&self, direction: Direction) -> bool {
        direction == Direction::Outbound
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Shared tracing setup of one sidecar.
#[derive(Debug)]
pub struct Tracer {
    propagation: Propagation,
    sampling: Arc<SamplingControl>,
    sink: SpanSink,
    stats: Arc<Stats>,
    /// The rate limiters' clock: monotonic time since the tracer started.
    epoch: Instant,
}

impl Tracer {
    /// A tracer that samples with the strategy `sampling` holds and ships spans into `sink`.
    pub fn new(
        propagation: Propagation,
        sampling: Arc<SamplingControl>,
        sink: SpanSink,
        stats: Arc<Stats>,
    ) -> Self {
        Self {
            propagation,
            sampling,
            sink,
            stats,
            epoch: Instant::now(),
        }
    }

    /// Starts the span of one request: extracts the caller's context from `headers`, decides,
    /// and rewrites `headers` to carry the new span's context to the next hop.
    pub fn start(
        &self,
        direction: Direction,
        method: &http::Method,
        path: &str,
        peer: Peer<'_>,
        headers: &mut HeaderMap,
    ) -> ActiveSpan {
        let extraction = self.propagation.extract(headers);
        if !extraction.invalid.is_empty() {
            Stats::add(
                &self.stats.invalid_trace_headers,
                extraction.invalid.len() as u64,
            );
        }
        let request_id = request_id::ensure(headers);
        let parent = extraction.parent;
        let mut rng = rand::rng();
        let (trace_id, random) = match &parent {
            Some(p) => (p.trace_id, p.random),
            None => (TraceId::random(&mut rng), true),
        };
        let request = RequestInfo {
            method: method.as_str(),
            path,
            request_id: Some(&request_id),
            force_trace: headers.contains_key(FORCE_TRACE),
            trusted: peer.trusted(direction),
        };
        let decision = self.sampling.load().sampler.decide(
            &SamplingInput::new(trace_id, parent.as_ref())
                .with_decision_only(extraction.decision_only)
                .with_request(request)
                .at(self.epoch.elapsed()),
        );
        let inherited = parent
            .as_ref()
            .map(|p| p.trace_state.clone())
            .unwrap_or_default();
        let trace_state = if decision.sampling.is_sampled() {
            inherited.with_threshold(decision.threshold)
        } else {
            inherited
        };
        let context = SpanContext {
            trace_id,
            span_id: SpanId::random(&mut rng),
            sampling: decision.sampling,
            random,
            trace_state,
        };
        self.propagation.inject(&context, headers);

        let record = decision.sampling.is_sampled().then(|| {
            let mut record = SpanRecord::new(
                &context,
                parent.as_ref().map(|p| p.span_id),
                direction.span_kind(),
                method,
                path,
                SystemTime::now(),
            );
            record.set_peer(direction, peer.host, peer.port);
            record.set_request_id(&request_id);
            if let Some((kind, param)) = decision.root {
                record.set_sampler(kind.as_str(), param);
            }
            record
        });
        ActiveSpan {
            record,
            started: Instant::now(),
        }
    }

    /// Ends `span` with the exchange's `outcome` and queues it for export without waiting.
    pub fn finish(&self, span: ActiveSpan, outcome: Outcome) {
        let Some(record) = span.record else { return };
        let otlp = record.finish(outcome, span.started.elapsed());
        Stats::incr(&self.stats.spans_recorded);
        if !self.sink.try_send(otlp) {
            Stats::incr(&self.stats.spans_dropped_queue_full);
        }
    }
}

/// A request in flight: its span under construction, if the trace is sampled.
#[derive(Debug)]
pub struct ActiveSpan {
    record: Option<SpanRecord>,
    started: Instant,
}

impl ActiveSpan {
    /// Whether this request's span will be recorded.
    pub fn is_recording(&self) -> bool {
        self.record.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pod_itself_may_force_a_trace() {
        let peer = |host| Peer { host, port: None };
        assert!(peer("127.0.0.1").trusted(Direction::Inbound));
        assert!(peer("::1").trusted(Direction::Inbound));
        assert!(!peer("10.0.0.7").trusted(Direction::Inbound));
        assert!(!peer("reviews").trusted(Direction::Inbound));
        // Outbound requests come from the workload the sidecar serves.
        assert!(peer("10.0.0.7").trusted(Direction::Outbound));
    }
}
