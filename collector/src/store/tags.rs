//! A span's values as Jaeger tags in string form, for tag searches: its attributes, its
//! resource's, its events', and the tags derived from kind and status that the query API
//! shows (`span.kind`, `error`, `otel.status_code`, `otel.status_description`, as Jaeger's
//! OTLP translation writes them).

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde_json::Value as Json;

use super::{StoredSpan, to_hex};

impl StoredSpan {
    /// Whether the span carries `key` with `value` as its string form (see
    /// [`value_as_string`]) anywhere a Jaeger tag search looks: span, resource and event
    /// attributes, or a tag derived from kind and status.
    pub fn has_tag(&self, key: &str, value: &str) -> bool {
        let in_list = |list: &[KeyValue]| {
            list.iter()
                .any(|kv| kv.key == key && value_equals(kv.value.as_ref(), value))
        };
        in_list(&self.attributes)
            || in_list(&self.resource)
            || self.events.iter().any(|event| in_list(&event.attributes))
            || self
                .derived_tag(key)
                .is_some_and(|derived| derived == value)
    }

    /// The value of a tag the query API derives from kind and status, if `key` names one
    /// and it applies to this span.
    pub fn derived_tag(&self, key: &str) -> Option<&str> {
        match key {
            "span.kind" => kind_name(self.kind),
            "error" => (self.status.code == StatusCode::Error).then_some("true"),
            "otel.status_code" => match self.status.code {
                StatusCode::Unset => None,
                StatusCode::Ok => Some("OK"),
                StatusCode::Error => Some("ERROR"),
            },
            "otel.status_description" => {
                Some(self.status.message.as_str()).filter(|message| !message.is_empty())
            }
            _ => None,
        }
    }
}

/// Jaeger's name of a span kind (`server`, `client`, ...); `None` for unspecified.
pub fn kind_name(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Unspecified => None,
        SpanKind::Internal => Some("internal"),
        SpanKind::Server => Some("server"),
        SpanKind::Client => Some("client"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
    }
}

/// An attribute value as text: strings as they are, booleans and numbers as written in
/// JSON, bytes as lowercase hex, arrays and maps as compact JSON (what Jaeger shows).
pub fn value_as_string(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BytesValue(bytes)) => to_hex(bytes),
        other => to_json(other).to_string(),
    }
}

/// Compares without allocating for the common case, a string attribute.
fn value_equals(value: Option<&AnyValue>, expected: &str) -> bool {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s == expected,
        _ => value_as_string(value) == expected,
    }
}

/// Structured rendering of any value, used for arrays and maps.
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

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::ArrayValue;

    use super::*;
    use crate::store::SpanStatus;
    use crate::test_support::{kv, kv_str, stored};

    fn any(value: Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }

    #[rustfmt::skip]
    #[test]
    fn values_as_strings() {
        let array = Value::ArrayValue(ArrayValue {
            values: vec![any(Value::StringValue("a".into())), any(Value::IntValue(1))],
        });
        let cases: &[(Option<Value>, &str)] = &[
            (Some(Value::StringValue("x y".into())), "x y"),
            (Some(Value::BoolValue(true)),           "true"),
            (Some(Value::IntValue(-42)),             "-42"),
            (Some(Value::DoubleValue(0.5)),          "0.5"),
            (Some(Value::BytesValue(vec![0, 255])),  "00ff"),
            (Some(array),                            r#"["a",1]"#),
            (None,                                   "null"),
        ];
        for (value, want) in cases {
            let value = value.clone().map(any);
            assert_eq!(value_as_string(value.as_ref()), *want, "{value:?}");
        }
    }

    #[test]
    fn tags_come_from_everywhere_jaeger_looks() {
        let mut span = stored(1, 1, None, "svc", "op");
        span.attributes = vec![kv("http.status_code", Value::IntValue(500))];
        span.kind = SpanKind::Server;
        span.status = SpanStatus {
            code: StatusCode::Error,
            message: "boom".into(),
        };
        span.events.push(crate::store::SpanEvent {
            time_unix_nano: 0,
            name: "exception".into(),
            attributes: vec![kv_str("exception.type", "Io")],
        });
        for (key, value) in [
            ("http.status_code", "500"),
            ("service.name", "svc"),
            ("exception.type", "Io"),
            ("span.kind", "server"),
            ("error", "true"),
            ("otel.status_code", "ERROR"),
            ("otel.status_description", "boom"),
        ] {
            assert!(span.has_tag(key, value), "{key}={value}");
        }
        assert!(!span.has_tag("http.status_code", "200"));
        assert!(!span.has_tag("error", "false"));
        assert!(!span.has_tag("missing", ""));
    }
}
