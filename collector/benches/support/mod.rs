//! Synthetic OTLP traffic as a sidecar sends it, shared by the tail-sampling benches.

// Each bench uses part of this module.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use sampler::tail::{TailPolicyDocument, TailPolicySet};

/// Spans per export request (the sidecar's and the OpenTelemetry SDKs' batch size).
pub const SPANS_PER_REQUEST: usize = 512;
/// Spans per trace: an ingress call fanning out to two services, each calling one more.
const SPANS_PER_TRACE: u64 = 5;
/// Traces whose spans interleave in the stream (arriving in the same requests).
const IN_FLIGHT: u64 = 100;
/// Distinct requests encoded up front; later passes reuse them with fresh trace ids.
pub const REQUESTS: usize = 64;
/// Virtual time between two requests: 512 spans every 5 ms is about 100,000 spans/s.
pub const REQUEST_INTERVAL: Duration = Duration::from_millis(5);

/// Errors, slow traces, 10% of the rest, and a rate limit, as in the issue.
pub const POLICIES: &str = "
decision_wait: 5s
decision_wait_after_root_received: 1s
num_traces: 100000
policies:
  - name: errors
    type: status_code
    status_code: {status_codes: [ERROR]}
  - name: slow
    type: latency
    latency: {threshold_ms: 500}
  - name: ten-percent
    type: probabilistic
    probabilistic: {sampling_percentage: 10}
  - name: rate
    type: rate_limiting
    rate_limiting: {spans_per_second: 5000}
";

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.to_owned()))
}

const SERVICES: [&str; 4] = ["productpage", "reviews", "ratings", "details"];

/// A resource as a sidecar describes its pod.
fn resource(service: &str, pod: u64) -> Resource {
    Resource {
        attributes: vec![
            s("service.name", service),
            s("service.version", "v2"),
            s("service.namespace", "bookinfo"),
            s(
                "service.instance.id",
                &format!("{service}-7d9f8c6b5-{pod:05x}"),
            ),
            s("k8s.pod.name", &format!("{service}-7d9f8c6b5-{pod:05x}")),
            s("k8s.namespace.name", "bookinfo"),
            s("k8s.node.name", "gke-mesh-default-pool-3f1a2b4c-x7k2"),
            s("k8s.deployment.name", service),
            s("host.name", &format!("{service}-7d9f8c6b5-{pod:05x}")),
            s("telemetry.sdk.name", "meshtrace"),
            s("telemetry.sdk.language", "rust"),
            s("telemetry.sdk.version", "0.1.0"),
        ],
        ..Default::default()
    }
}

fn id_bytes(seed: u64) -> [u8; 8] {
    splitmix(seed).max(1).to_be_bytes()
}

/// Span `k` of trace `trace` (0 is the root; 1 and 2 its children; 3 and 4 theirs).
fn span(trace: u64, k: u64) -> Span {
    let r = splitmix(trace ^ 0x5eed);
    let mut trace_id = [0u8; 16];
    trace_id[..8].copy_from_slice(&id_bytes(trace));
    trace_id[8..].copy_from_slice(&id_bytes(trace ^ 0xabcd));
    let span_id = |k: u64| id_bytes(trace * 8 + k + 1).to_vec();
    let parent = match k {
        0 => Vec::new(),
        1 | 2 => span_id(0),
        _ => span_id(k - 2),
    };
    // 1% of traces fail in their deepest call, 1% are slow (600 ms), the rest 2-60 ms.
    let failed = r.is_multiple_of(100) && k == 4;
    let millis = if r % 100 == 1 { 600 } else { 2 + (r >> 8) % 58 } >> (k / 2);
    let start = 1_700_000_000_000_000_000 + trace * 1_000_000 + k * 100_000;
    let server = k.is_multiple_of(2);
    let route = [
        "/productpage",
        "/reviews/{id}",
        "/ratings/{id}",
        "/details/{id}",
    ][(k % 4) as usize];
    let peer = SERVICES[((k + 1) % 4) as usize];
    Span {
        trace_id: trace_id.to_vec(),
        span_id: span_id(k),
        parent_span_id: parent,
        trace_state: format!("ot=th:0;rv:{:014x}", r >> 8),
        name: format!("GET {route}"),
        kind: if server {
            SpanKind::Server
        } else {
            SpanKind::Client
        } as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + millis * 1_000_000,
        attributes: vec![
            s("http.request.method", "GET"),
            s("url.path", &route.replace("{id}", &(r % 1000).to_string())),
            s("http.route", route),
            kv(
                "http.response.status_code",
                Value::IntValue(if failed { 503 } else { 200 }),
            ),
            s(
                "server.address",
                &format!("{peer}.bookinfo.svc.cluster.local"),
            ),
            s(
                "network.peer.address",
                &format!("10.8.{}.{}", r % 200, k + 10),
            ),
            s(
                "upstream_cluster",
                &format!("outbound|9080||{peer}.bookinfo.svc.cluster.local"),
            ),
            s(
                "guid:x-request-id",
                &format!("{:016x}-{:04x}-4{:03x}", r, k, r % 4096),
            ),
            s(
                "user_agent.original",
                "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0",
            ),
            s("component", "proxy"),
        ],
        status: Some(Status {
            code: if failed {
                StatusCode::Error
            } else {
                StatusCode::Unset
            } as i32,
            message: if failed {
                "upstream connect error".into()
            } else {
                String::new()
            },
        }),
        ..Default::default()
    }
}

/// `REQUESTS` export requests: traces interleave `IN_FLIGHT` at a time, deepest spans
/// first and roots last (a span is exported when it ends); each request comes from one pod.
pub fn requests() -> Vec<Vec<u8>> {
    let spans_needed = (REQUESTS * SPANS_PER_REQUEST) as u64;
    let mut stream = Vec::new();
    let mut base = 0;
    while (stream.len() as u64) < spans_needed {
        for k in (0..SPANS_PER_TRACE).rev() {
            for t in 0..IN_FLIGHT {
                stream.push(span(base + t, k));
            }
        }
        base += IN_FLIGHT;
    }
    stream
        .chunks(SPANS_PER_REQUEST)
        .take(REQUESTS)
        .enumerate()
        .map(|(i, spans)| {
            let service = SERVICES[i % SERVICES.len()];
            ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans {
                    resource: Some(resource(service, i as u64 % 7)),
                    scope_spans: vec![ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: "meshtrace-sidecar".into(),
                            version: "0.1.0".into(),
                            ..Default::default()
                        }),
                        spans: spans.to_vec(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            }
            .encode_to_vec()
        })
        .collect()
}

pub fn policies() -> Arc<ArcSwap<TailPolicySet>> {
    policies_from(POLICIES)
}

/// A policy set from a YAML document.
pub fn policies_from(yaml: &str) -> Arc<ArcSwap<TailPolicySet>> {
    let doc: TailPolicyDocument = serde_yaml_ng::from_str(yaml).expect("policy document");
    Arc::new(ArcSwap::from_pointee(
        TailPolicySet::from_document(doc).expect("policy set"),
    ))
}

/// Decodes request `n` (cycling over `requests`), with trace ids changed on every pass so
/// each pass brings new traces rather than late spans.
pub fn receive(requests: &[Vec<u8>], n: usize) -> ExportTraceServiceRequest {
    let pass = (n / requests.len()) as u64;
    let mut request = ExportTraceServiceRequest::decode(requests[n % requests.len()].as_slice())
        .expect("request decodes");
    if pass > 0 {
        let salt = splitmix(pass);
        for span in request
            .resource_spans
            .iter_mut()
            .flat_map(|rs| &mut rs.scope_spans)
            .flat_map(|ss| &mut ss.spans)
        {
            for (byte, salt) in span.trace_id[8..].iter_mut().zip(salt.to_be_bytes()) {
                *byte ^= salt;
            }
        }
    }
    request
}
