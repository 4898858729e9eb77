//! Stored traces to the Jaeger JSON model, following Jaeger's own OTLP translation:
//! attributes become typed tags, events become logs, kind and status become tags, and each
//! distinct service + resource becomes one process.

use std::collections::BTreeMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde_json::Value as Json;

use super::model::{JaegerLog, JaegerProcess, JaegerReference, JaegerSpan, JaegerTag, JaegerTrace};
use crate::store::{StoredSpan, Trace, to_hex};

/// Jaeger's trace flag for a sampled span; everything stored was sampled.
const FLAG_SAMPLED: u32 = 1;

/// The Jaeger form of a stored trace.
pub fn to_jaeger(trace: &Trace) -> JaegerTrace {
    let trace_id = to_hex(&trace.trace_id);
    let mut spans: Vec<&Arc<StoredSpan>> = trace.spans.iter().collect();
    spans.sort_by_key(|span| span.start_unix_nano);

    let mut processes = Processes::default();
    let spans = spans
        .into_iter()
        .map(|span| {
            let process_id = processes.id_for(span);
            to_jaeger_span(span, &trace_id, process_id)
        })
        .collect();
    JaegerTrace {
        trace_id,
        spans,
        processes: processes.into_map(),
        warnings: None,
    }
}

fn to_jaeger_span(span: &StoredSpan, trace_id: &str, process_id: String) -> JaegerSpan {
    let references = span
        .parent_span_id
        .map(|parent| JaegerReference {
            ref_type: "CHILD_OF",
            trace_id: trace_id.to_owned(),
            span_id: to_hex(&parent),
        })
        .into_iter()
        .collect();
    let logs = span
        .events
        .iter()
        .map(|event| JaegerLog {
            timestamp: event.time_unix_nano / 1_000,
            fields: std::iter::once(string_tag("event", &event.name))
                .chain(event.attributes.iter().map(to_tag))
                .collect(),
        })
        .collect();
    JaegerSpan {
        trace_id: trace_id.to_owned(),
        span_id: to_hex(&span.span_id),
        operation_name: span.name.clone(),
        references,
        flags: FLAG_SAMPLED,
        start_time: span.start_unix_nano / 1_000,
        duration: span.duration_nanos() / 1_000,
        tags: span_tags(span),
        logs,
        process_id,
        warnings: None,
    }
}

fn span_tags(span: &StoredSpan) -> Vec<JaegerTag> {
    let mut tags: Vec<JaegerTag> = span.attributes.iter().map(to_tag).collect();
    if let Some(kind) = kind_name(span.kind) {
        tags.push(string_tag("span.kind", kind));
    }
    match span.status.code {
        StatusCode::Unset => {}
        StatusCode::Ok => tags.push(string_tag("otel.status_code", "OK")),
        StatusCode::Error => {
            tags.push(string_tag("otel.status_code", "ERROR"));
            tags.push(JaegerTag {
                key: "error".to_owned(),
                kind: "bool",
                value: Json::Bool(true),
            });
        }
    }
    if !span.status.message.is_empty() {
        tags.push(string_tag("otel.status_description", &span.status.message));
    }
    tags
}

fn kind_name(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Unspecified => None,
        SpanKind::Internal => Some("internal"),
        SpanKind::Server => Some("server"),
        SpanKind::Client => Some("client"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
    }
}

fn string_tag(key: &str, value: &str) -> JaegerTag {
    JaegerTag {
        key: key.to_owned(),
        kind: "string",
        value: Json::String(value.to_owned()),
    }
}

/// One attribute as a typed tag; arrays, maps and bytes are rendered as strings.
fn to_tag(kv: &KeyValue) -> JaegerTag {
    let (kind, value) = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::BoolValue(b)) => ("bool", Json::Bool(*b)),
        Some(Value::IntValue(i)) => ("int64", Json::from(*i)),
        Some(Value::DoubleValue(d)) => match serde_json::Number::from_f64(*d) {
            Some(n) => ("float64", Json::Number(n)),
            None => ("string", Json::String(d.to_string())),
        },
        Some(Value::StringValue(s)) => ("string", Json::String(s.clone())),
        Some(other) => ("string", Json::String(to_json(Some(other)).to_string())),
        None => ("string", Json::String(String::new())),
    };
    JaegerTag {
        key: kv.key.clone(),
        kind,
        value,
    }
}

/// Structured rendering for composite values (what Jaeger shows for OTLP arrays and maps).
fn to_json(value: Option<&Value>) -> Json {
    let any = |v: &AnyValue| to_json(v.value.as_ref());
    match value {
        None | Some(Value::StringValueStrindex(_)) => Json::Null,
        Some(Value::StringValue(s)) => Json::String(s.clone()),
        Some(Value::BoolValue(b)) => Json::Bool(*b),
        Some(Value::IntValue(i)) => Json::from(*i),
        Some(Value::DoubleValue(d)) => Json::from(*d),
        Some(Value::BytesValue(bytes)) => Json::String(to_hex(bytes)),
        Some(Value::ArrayValue(array)) => Json::Array(array.values.iter().map(any).collect()),
        Some(Value::KvlistValue(list)) => Json::Object(
            list.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Json::Null, any)))
                .collect(),
        ),
    }
}

/// Processes seen so far in one trace, numbered `p1`, `p2`, ... in order of first use.
#[derive(Default)]
struct Processes {
    seen: Vec<(Arc<str>, Arc<[KeyValue]>)>,
}

impl Processes {
    fn id_for(&mut self, span: &StoredSpan) -> String {
        let same = |(service, resource): &(Arc<str>, Arc<[KeyValue]>)| {
            *service == span.service
                && (Arc::ptr_eq(resource, &span.resource) || **resource == *span.resource)
        };
        let index = match self.seen.iter().position(same) {
            Some(index) => index,
            None => {
                self.seen
                    .push((Arc::clone(&span.service), Arc::clone(&span.resource)));
                self.seen.len() - 1
            }
        };
        format!("p{}", index + 1)
    }

    fn into_map(self) -> BTreeMap<String, JaegerProcess> {
        self.seen
            .into_iter()
            .enumerate()
            .map(|(index, (service, resource))| {
                let process = JaegerProcess {
                    service_name: service.to_string(),
                    tags: resource
                        .iter()
                        .filter(|kv| kv.key != "service.name")
                        .map(to_tag)
                        .collect(),
                };
                (format!("p{}", index + 1), process)
            })
            .collect()
    }
}
