//! OTLP requests the end-to-end tests send.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

/// One trace (every id byte `trace`) of `spans` 1 ms spans named `op-N` (span ids `[N; 8]`),
/// from `service` when given.
pub fn request(trace: u8, spans: u8, service: Option<&str>) -> ExportTraceServiceRequest {
    let spans = (1..=spans)
        .map(|s| Span {
            trace_id: vec![trace; 16],
            span_id: vec![s; 8],
            name: format!("op-{s}"),
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_001_000_000,
            ..Span::default()
        })
        .collect();
    let resource = service.map(|name| Resource {
        attributes: vec![KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(name.into())),
            }),
            ..KeyValue::default()
        }],
        ..Resource::default()
    });
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource,
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}
