//! Stored traces as OTLP for api_v3: one `ResourceSpans` per distinct resource with one
//! `ScopeSpans` (the store keeps no scopes), ids as shown by the v1 API (shared server spans
//! get their own id). Serialized with `opentelemetry-proto`'s serde mapping, which writes
//! OTLP/JSON: hex ids, 64-bit integers as strings, enums as numbers, as jaeger's gateway
//! does with `ptrace.JSONMarshaler` (`cmd/query/app/internal/api_v3/traces.go`).

use opentelemetry_proto::tonic::trace::v1::{Span, TracesData};
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
    let shown: Vec<ShownSpan<'_>> = traces.iter().flat_map(adjust).collect();
    let resource_spans =
        crate::export::group_by_resource(shown.iter().map(|s| (&s.span.resource, to_span(s))));
    V3Traces {
        result: TracesData { resource_spans },
    }
}

fn to_span(shown: &ShownSpan<'_>) -> Span {
    crate::export::to_span(shown.span, shown.span_id, shown.parent_span_id)
}
