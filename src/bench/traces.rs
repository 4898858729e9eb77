//! Realistic traces, as a mesh of sidecars sends them, built and encoded before the clock
//! starts: a Bookinfo-like call chain (productpage -> reviews -> ratings), five spans per
//! trace over three services, server and client kinds, the attributes our sidecar records.
//!
//! Each pooled request is kept encoded, with the offsets of its trace ids; a send copies it
//! and changes every trace id by a sequence number ([`Template::write_stamped`]), so a long
//! run sends new traces without paying for building or encoding them.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[cfg(test)]
use bytes::BytesMut;
use bytes::{BufMut, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use rand::Rng;

/// Spans in one trace.
pub const SPANS_PER_TRACE: usize = 5;
/// Pods per service the resources are spread over.
const PODS_PER_SERVICE: usize = 4;
/// The three services, their namespace and their pods' address prefix.
const SERVICES: [&str; 3] = ["productpage", "reviews", "ratings"];
const NAMESPACE: &str = "bookinfo";
/// Protobuf key of `Span.trace_id` (field 1, length-delimited) and its length (16).
const TRACE_ID_KEY: [u8; 2] = [0x0a, 0x10];
/// The part of a trace id a stamp changes: its last 8 bytes (the W3C random part).
const STAMPED: std::ops::Range<usize> = 8..16;

/// One encoded `ExportTraceServiceRequest` and where its trace ids are.
#[derive(Debug, Clone)]
pub struct Template {
    encoded: Bytes,
    /// Offset of every `Span.trace_id` value in `encoded`.
    trace_ids: Vec<usize>,
}

impl Template {
    /// The request with every trace id's last 8 bytes XORed with `seq`: distinct sequence
    /// numbers give distinct traces, and the spans of one trace stay one trace.
    #[cfg(test)]
    pub fn stamp(&self, seq: u64) -> Bytes {
        let mut copy = BytesMut::with_capacity(self.len());
        self.write_stamped(seq, &mut copy);
        copy.freeze()
    }

    /// Writes the request with every trace id's last 8 bytes XORed with `seq` into `out` (the
    /// gRPC encode buffer), copying each byte once.
    pub fn write_stamped(&self, seq: u64, out: &mut impl BufMut) {
        let mask = seq.to_le_bytes();
        let mut from = 0;
        for &at in &self.trace_ids {
            let (Some(before), Some(id)) = (
                self.encoded.get(from..at + STAMPED.start),
                self.encoded.get(at + STAMPED.start..at + STAMPED.end),
            ) else {
                continue;
            };
            out.put_slice(before);
            let mut stamped = [0u8; 8];
            for ((s, b), m) in stamped.iter_mut().zip(id).zip(mask) {
                *s = b ^ m;
            }
            out.put_slice(&stamped);
            from = at + STAMPED.end;
        }
        out.put_slice(self.encoded.get(from..).unwrap_or_default());
    }

    /// Encoded size in bytes.
    pub fn len(&self) -> usize {
        self.encoded.len()
    }
}

/// The requests a run cycles through, all with the same number of spans.
#[derive(Debug)]
pub struct Pool {
    /// At least one template.
    pub templates: Vec<Arc<Template>>,
    /// Spans in each request.
    pub spans_per_request: u64,
}

/// Builds up to `count` requests of `batch` spans each, stopping early once `budget` has
/// passed (but always building one).
pub fn pool(batch: usize, count: usize, budget: Duration) -> Pool {
    let started = Instant::now();
    let mut rng = rand::rng();
    let mut templates = Vec::with_capacity(count.max(1));
    while templates.is_empty() || (templates.len() < count && started.elapsed() < budget) {
        templates.push(Arc::new(template(&request(&mut rng, batch))));
    }
    Pool {
        templates,
        spans_per_request: batch as u64,
    }
}

/// Encodes `request` and finds its trace ids.
fn template(request: &ExportTraceServiceRequest) -> Template {
    let encoded = request.encode_to_vec();
    let ids: std::collections::HashSet<&[u8]> = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .map(|s| s.trace_id.as_slice())
        .collect();
    // Every span's `trace_id` is `0a 10` then the 16 id bytes; a random match of key and
    // id elsewhere (2^-144) is not a concern.
    let trace_ids = (0..encoded.len().saturating_sub(17))
        .filter(|&i| {
            encoded.get(i..i + 2) == Some(&TRACE_ID_KEY[..])
                && encoded
                    .get(i + 2..i + 18)
                    .is_some_and(|id| ids.contains(id))
        })
        .map(|i| i + 2)
        .collect();
    Template {
        encoded: Bytes::from(encoded),
        trace_ids,
    }
}

/// A request of `batch` spans: whole traces, the last one cut short when `batch` is not a
/// multiple of five, grouped by the pod that sent them (one resource per service and pod).
fn request(rng: &mut impl Rng, batch: usize) -> ExportTraceServiceRequest {
    let pods: Vec<[usize; 3]> = (0..batch.div_ceil(SPANS_PER_TRACE))
        .map(|_| std::array::from_fn(|_| rng.random_range(0..PODS_PER_SERVICE)))
        .collect();
    let mut spans: Vec<Vec<Span>> = vec![Vec::new(); SERVICES.len() * PODS_PER_SERVICE];
    let mut made = 0;
    for trace_pods in &pods {
        for (service, span) in trace(rng) {
            if made == batch {
                break;
            }
            let slot = service * PODS_PER_SERVICE + trace_pods[service];
            if let Some(group) = spans.get_mut(slot) {
                group.push(span);
                made += 1;
            }
        }
    }
    let resource_spans = spans
        .into_iter()
        .enumerate()
        .filter(|(_, group)| !group.is_empty())
        .map(|(slot, group)| ResourceSpans {
            resource: Some(resource(
                SERVICES[slot / PODS_PER_SERVICE],
                slot % PODS_PER_SERVICE,
            )),
            scope_spans: vec![ScopeSpans {
                spans: group,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// What a pod's sidecar puts on its resource.
fn resource(service: &str, pod: usize) -> Resource {
    Resource {
        attributes: vec![
            text("service.name", service),
            text("k8s.pod.name", &format!("{service}-v1-7d4b9c6f5-{pod:05}")),
            text("k8s.namespace.name", NAMESPACE),
        ],
        ..Resource::default()
    }
}

/// One call in a trace: which service records it, kind, method and path, route, status.
struct Hop {
    service: usize,
    kind: SpanKind,
    path: &'static str,
    route: &'static str,
    /// Index in the trace of the parent span.
    parent: Option<usize>,
    /// The peer: `server.address` for a client span, `network.peer.address` for a server.
    peer: &'static str,
}

/// productpage serves, calls reviews; reviews serves, calls ratings; ratings serves.
const HOPS: [Hop; SPANS_PER_TRACE] = [
    hop(
        0,
        SpanKind::Server,
        "/productpage",
        "/productpage",
        None,
        "10.4.0.12",
    ),
    hop(
        0,
        SpanKind::Client,
        "/reviews/0",
        "/reviews/{id}",
        Some(0),
        "reviews",
    ),
    hop(
        1,
        SpanKind::Server,
        "/reviews/0",
        "/reviews/{id}",
        Some(1),
        "10.4.1.7",
    ),
    hop(
        1,
        SpanKind::Client,
        "/ratings/0",
        "/ratings/{id}",
        Some(2),
        "ratings",
    ),
    hop(
        2,
        SpanKind::Server,
        "/ratings/0",
        "/ratings/{id}",
        Some(3),
        "10.4.2.31",
    ),
];

const fn hop(
    service: usize,
    kind: SpanKind,
    path: &'static str,
    route: &'static str,
    parent: Option<usize>,
    peer: &'static str,
) -> Hop {
    Hop {
        service,
        kind,
        path,
        route,
        parent,
        peer,
    }
}

/// The five spans of one new trace, each with the index of the service that records it.
fn trace(rng: &mut impl Rng) -> Vec<(usize, Span)> {
    let trace_id: [u8; 16] = rng.random();
    let span_ids: [[u8; 8]; SPANS_PER_TRACE] = rng.random();
    let request_id = format!("{:032x}", rng.random::<u128>());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    HOPS.iter()
        .enumerate()
        .map(|(i, hop)| {
            // Nested calls: each one starts later and ends earlier than its parent.
            let depth = i as u64;
            let start = now + depth * 150_000;
            let end = now + 12_000_000 - depth * 400_000;
            let (peer_key, port_key) = match hop.kind {
                SpanKind::Client => ("server.address", "server.port"),
                _ => ("network.peer.address", "network.peer.port"),
            };
            let span = Span {
                trace_id: trace_id.to_vec(),
                span_id: span_ids[i].to_vec(),
                parent_span_id: hop.parent.map(|p| span_ids[p].to_vec()).unwrap_or_default(),
                flags: flags(hop),
                name: format!("GET {}", hop.route),
                kind: hop.kind as i32,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                attributes: vec![
                    text("http.request.method", "GET"),
                    text("url.path", hop.path),
                    text("http.route", hop.route),
                    text(peer_key, hop.peer),
                    int(port_key, 9080),
                    text("guid:x-request-id", &request_id),
                    text("user_agent.original", "python-requests/2.32.3"),
                    int("http.response.status_code", 200),
                ],
                ..Span::default()
            };
            (hop.service, span)
        })
        .collect()
}

/// W3C sampled and random bits, plus whether the parent is in another process (a server
/// span's parent is the caller's client span).
fn flags(hop: &Hop) -> u32 {
    const SAMPLED_RANDOM: u32 = 0x03;
    const HAS_IS_REMOTE: u32 = 0x100;
    const IS_REMOTE: u32 = 0x200;
    let remote = hop.kind == SpanKind::Server && hop.parent.is_some();
    SAMPLED_RANDOM | HAS_IS_REMOTE | if remote { IS_REMOTE } else { 0 }
}

fn text(key: &str, value: &str) -> KeyValue {
    attribute(key, Value::StringValue(value.to_owned()))
}

fn int(key: &str, value: i64) -> KeyValue {
    attribute(key, Value::IntValue(value))
}

fn attribute(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::decode(bytes).unwrap()
    }

    fn spans(request: &ExportTraceServiceRequest) -> Vec<&Span> {
        request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .collect()
    }

    #[test]
    fn a_request_has_exactly_the_batch() {
        for batch in [1, 5, 7, 512] {
            let pool = pool(batch, 2, Duration::from_secs(5));
            assert_eq!(pool.templates.len(), 2);
            let request = decode(&pool.templates[0].stamp(0));
            assert_eq!(spans(&request).len(), batch);
        }
    }

    #[test]
    fn every_trace_id_is_found_and_stamped() {
        let template = template(&request(&mut rand::rng(), 100));
        assert_eq!(template.trace_ids.len(), 100);
        let before = decode(&template.stamp(0));
        let after = decode(&template.stamp(7));
        for (b, a) in spans(&before).iter().zip(spans(&after)) {
            assert_eq!(b.trace_id[..8], a.trace_id[..8]);
            assert_ne!(b.trace_id, a.trace_id);
            assert_eq!(b.span_id, a.span_id);
        }
    }

    #[test]
    fn spans_look_like_a_sidecar_sent_them() {
        let request = request(&mut rand::rng(), 5);
        let all = spans(&request);
        assert!(all.iter().all(|s| s.attributes.len() == 8));
        let roots = all.iter().filter(|s| s.parent_span_id.is_empty()).count();
        assert_eq!(roots, 1);
        assert_eq!(request.resource_spans.len(), 3);
        let resource = request.resource_spans[0].resource.as_ref().unwrap();
        assert_eq!(resource.attributes.len(), 3);
    }
}
