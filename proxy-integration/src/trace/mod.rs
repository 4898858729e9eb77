//! Tracing at the edge of the proxy: read the caller's context, make the head decision, hand
//! the next hop a child context, and record the span when the exchange ends.

mod request_id;
mod route;
mod span;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http::uri::Authority;
use http::{HeaderMap, HeaderName};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use sampler::head::{RequestInfo, SamplingInput};
use sampler::{Propagation, SpanContext, SpanId, TraceId};

use crate::export::SpanSink;
use crate::sampling::SamplingControl;
use crate::stats::Stats;
pub(crate) use request_id::ensure as ensure_request_id;
pub use route::{RouteError, RouteTemplate, Routes};
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

/// The other side of an exchange, as recorded on the span. Kept typed: it is written out as
/// text only when the request is sampled.
#[derive(Debug, Clone, Copy)]
pub enum Peer<'a> {
    /// The downstream caller's address (inbound).
    Caller(SocketAddr),
    /// The upstream the request goes to (outbound).
    Destination(&'a Authority),
}

/// `x-envoy-force-trace`: forces a trace when the caller is trusted.
static FORCE_TRACE: HeaderName = HeaderName::from_static("x-envoy-force-trace");

impl Peer<'_> {
    /// Whether a request from this peer may force a trace: only the pod's own workload (the
    /// outbound side, or loopback), never an arbitrary caller from the network.
    fn trusted(&self, direction: Direction) -> bool {
        direction == Direction::Outbound
            || match self {
                Peer::Caller(addr) => addr.ip().is_loopback(),
                Peer::Destination(authority) => authority
                    .host()
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()),
            }
    }

    /// The host (an IP address or a name) and port as the span records them.
    fn host_and_port(&self) -> (String, Option<u16>) {
        match self {
            Peer::Caller(addr) => (addr.ip().to_string(), Some(addr.port())),
            Peer::Destination(authority) => (authority.host().to_owned(), authority.port_u16()),
        }
    }
}

/// Shared tracing setup of one sidecar.
#[derive(Debug)]
pub struct Tracer {
    propagation: Propagation,
    sampling: Arc<SamplingControl>,
    sink: SpanSink,
    stats: Arc<Stats>,
    /// Route templates, for `http.route` and span names.
    routes: Routes,
    /// The rate limiters' clock: monotonic time since the tracer started.
    epoch: Instant,
}

impl Tracer {
    /// A tracer that samples with the strategy `sampling` holds, names spans after `routes`
    /// where one matches, and ships spans into `sink`.
    pub fn new(
        propagation: Propagation,
        sampling: Arc<SamplingControl>,
        sink: SpanSink,
        stats: Arc<Stats>,
        routes: Routes,
    ) -> Self {
        Self {
            propagation,
            sampling,
            sink,
            stats,
            routes,
            epoch: Instant::now(),
        }
    }

    /// Starts the span of one request that arrived at `now`: extracts the caller's context
    /// from `headers`, decides, and rewrites `headers` to carry the new span's context to the
    /// next hop. Nothing is copied or formatted for the span unless the request is sampled.
    pub fn start(
        &self,
        direction: Direction,
        request: RequestLine<'_>,
        peer: Peer<'_>,
        headers: &mut HeaderMap,
        now: Instant,
    ) -> ActiveSpan {
        let extraction = self.propagation.extract(headers);
        if !extraction.invalid.is_empty() {
            Stats::add(
                &self.stats.invalid_trace_headers,
                extraction.invalid.len() as u64,
            );
        }
        // The request-id layer ran first: every request has one. The value is shared with the
        // header map (a reference count), not copied.
        let request_id = request_id::get(headers);
        let request_id = request_id.as_ref().and_then(|id| id.to_str().ok());
        let mut parent = extraction.parent;
        let mut rng = rand::rng();
        let (trace_id, random) = match &parent {
            Some(p) => (p.trace_id, p.random),
            None => (TraceId::random(&mut rng), true),
        };
        let route = self.routes.find(request.path);
        let info = RequestInfo {
            method: request.method.as_str(),
            path: request.path,
            route,
            request_id,
            force_trace: headers.contains_key(&FORCE_TRACE),
            trusted: peer.trusted(direction),
        };
        let decision = self.sampling.load().sampler.decide(
            &SamplingInput::new(trace_id, parent.as_ref())
                .with_decision_only(extraction.decision_only)
                .with_request(info)
                .at(now.saturating_duration_since(self.epoch)),
        );
        // The parent's list is not needed after the decision: moved, not copied.
        let inherited = parent
            .as_mut()
            .map(|p| std::mem::take(&mut p.trace_state))
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
                request.method,
                request.path,
                route,
                SystemTime::now(),
            );
            let (host, port) = peer.host_and_port();
            record.set_peer(direction, &host, port);
            if let Some(id) = request_id {
                record.set_request_id(id);
            }
            if let Some((kind, param)) = decision.root {
                record.set_sampler(kind.as_str(), param);
            }
            record
        });
        ActiveSpan {
            record,
            started: now,
        }
    }

    /// Ends `span` with the exchange's `outcome` and queues it for export without waiting.
    pub fn finish(&self, span: ActiveSpan, outcome: Outcome) {
        let Some(record) = span.record else { return };
        let encoded = record.finish(outcome, span.started.elapsed());
        Stats::incr(&self.stats.spans_recorded);
        if !self.sink.try_send(encoded) {
            Stats::incr(&self.stats.spans_dropped_queue_full);
        }
    }
}

/// The parts of a request line a span is named after.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    /// The method.
    pub method: &'a http::Method,
    /// The path, without the query.
    pub path: &'a str,
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
        let caller = |addr: &str| Peer::Caller(addr.parse().unwrap());
        assert!(caller("127.0.0.1:5000").trusted(Direction::Inbound));
        assert!(caller("[::1]:5000").trusted(Direction::Inbound));
        assert!(!caller("10.0.0.7:5000").trusted(Direction::Inbound));
        let reviews: Authority = "reviews:9080".parse().unwrap();
        assert!(!Peer::Destination(&reviews).trusted(Direction::Inbound));
        // Outbound requests come from the workload the sidecar serves.
        assert!(caller("10.0.0.7:5000").trusted(Direction::Outbound));
        assert!(Peer::Destination(&reviews).trusted(Direction::Outbound));
    }

    #[test]
    fn peers_are_recorded_as_host_and_port() {
        let caller = Peer::Caller("[::1]:5000".parse().unwrap());
        assert_eq!(caller.host_and_port(), ("::1".to_owned(), Some(5000)));
        let reviews: Authority = "reviews".parse().unwrap();
        let destination = Peer::Destination(&reviews);
        assert_eq!(destination.host_and_port(), ("reviews".to_owned(), None));
    }
}
