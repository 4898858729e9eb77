//! Stored traces to the Jaeger JSON model, following Jaeger's own OTLP translation:
//! attributes become typed tags, events become logs, kind and status become tags, and each
//! distinct service + resource becomes one process.

use std::collections::BTreeMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde_json::Value as Json;

use super::adjust::{ShownSpan, adjust};
use super::model::{JaegerLog, JaegerProcess, JaegerReference, JaegerSpan, JaegerTag, JaegerTrace};
use crate::store::{StoredSpan, Trace, kind_name, to_hex, value_as_string};

/// Jaeger's trace flag for a sampled span; everything stored was sampled.
const FLAG_SAMPLED: u32 = 1;

/// The Jaeger form of a stored trace, adjusted as jaeger-query adjusts it (see `adjust`).
pub fn to_jaeger(trace: &Trace) -> JaegerTrace {
    let trace_id = to_hex(&trace.trace_id);
    let mut processes = Processes::default();
    let spans = adjust(trace)
        .into_iter()
        .map(|shown| {
            let process_id = processes.id_for(shown.span);
            to_jaeger_span(shown, &trace_id, process_id)
        })
        .collect();
    JaegerTrace {
        trace_id,
        spans,
        processes: processes.into_map(),
        warnings: None,
    }
}

fn to_jaeger_span(shown: ShownSpan<'_>, trace_id: &str, process_id: String) -> JaegerSpan {
    let span = shown.span;
    let references = shown
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
        span_id: to_hex(&shown.span_id),
        operation_name: span.name.clone(),
        references,
        flags: FLAG_SAMPLED,
        start_time: span.start_unix_nano / 1_000,
        duration: span.duration_nanos() / 1_000,
        tags: span_tags(span),
        logs,
        process_id,
        warnings: Some(shown.warnings).filter(|w| !w.is_empty()),
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
        Some(_) => ("string", Json::String(value_as_string(kv.value.as_ref()))),
        None => ("string", Json::String(String::new())),
    };
    JaegerTag {
        key: kv.key.clone(),
        kind,
        value,
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
