//! Stored traces as OTLP for api_v3: one `ResourceSpans` per distinct resource with one
//! `ScopeSpans` (the store keeps no scopes), ids as shown by the v1 API (shared server spans
//! get their own id). Serialized with `opentelemetry-proto`'s serde mapping, which writes
//! OTLP/JSON: hex ids, 64-bit integers as strings, enums as numbers, as jaeger's gateway
//! does with `ptrace.JSONMarshaler` (`cmd/query/app/internal/api_v3/traces.go`).

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, TracesData};
use serde::Serialize;

use super::adjust::{ShownSpan, adjust};
use crate::store::Trace;

/// The body of a successful api_v3 trace read: `{"result":{"resourceSpans":[...]}}`
/// (`GRPCGatewayWrapper` in `cmd/query/app/apiv3/http_gateway.go`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V3Traces {
    /// The traces as OTLP.
    pub result: TracesData,
}

/// Every span of `traces` as OTLP, grouped by resource in first-seen order.
pub fn to_otlp(traces: &[Trace]) -> V3Traces {
    let mut groups: Vec<(&Arc<[KeyValue]>, Vec<Span>)> = Vec::new();
    for trace in traces {
        for shown in adjust(trace) {
            let resource = &shown.span.resource;
            let found = groups
                .iter_mut()
                .find(|(seen, _)| Arc::ptr_eq(seen, resource) || seen[..] == resource[..]);
            match found {
                Some((_, spans)) => spans.push(to_span(&shown)),
                None => groups.push((resource, vec![to_span(&shown)])),
            }
        }
    }
    let resource_spans = groups
        .into_iter()
        .map(|(resource, spans)| ResourceSpans {
            resource: Some(Resource {
                attributes: resource.to_vec(),
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    V3Traces {
        result: TracesData { resource_spans },
    }
}

fn to_span(shown: &ShownSpan<'_>) -> Span {
    crate::export::to_span(shown.span, shown.span_id, shown.parent_span_id)
}
