use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};

use super::*;
use crate::store::SpanEvent;
use crate::test_support::{kv, kv_str, stored};

fn every_kind() -> Vec<KeyValue> {
    vec![
        kv_str("http.route", "/reviews/{id}"),
        kv("ok", Value::BoolValue(true)),
        kv("http.response.status_code", Value::IntValue(-503)),
        kv("ratio", Value::DoubleValue(0.25)),
        kv(
            "list",
            Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(Value::StringValue("a".into())),
                }],
            }),
        ),
        kv("map", Value::KvlistValue(KeyValueList::default())),
        kv("bytes", Value::BytesValue(vec![0, 255])),
        KeyValue {
            key: "none".into(),
            value: None,
            ..KeyValue::default()
        },
        KeyValue {
            key: "empty".into(),
            value: Some(AnyValue { value: None }),
            ..KeyValue::default()
        },
        KeyValue {
            key: "indexed".into(),
            key_strindex: 7,
            value: Some(AnyValue {
                value: Some(Value::IntValue(1)),
            }),
        },
        kv_str("", ""),
        kv_str("http.route", "a second one is never read"),
    ]
}

#[test]
fn spans_unpack_to_what_was_packed() {
    let mut span = stored(1, 2, Some(1), "svc", "GET /reviews/{id}");
    span.trace_state = "ot=th:8;rv:0123456789abcd,vendor=x".into();
    span.status.code = StatusCode::Error;
    span.status.message = "upstream reset ✗".into();
    span.attributes = every_kind();
    span.events = vec![SpanEvent {
        time_unix_nano: 5,
        name: "exception".into(),
        attributes: vec![kv_str("exception.type", "E")],
    }];
    let packed = BufferedSpan::pack(span.clone(), 123);
    assert_eq!(packed.size_bytes(), 123);
    assert_eq!(packed.unpack(), span);
    let empty = stored(1, 3, None, "svc", "");
    assert_eq!(BufferedSpan::pack(empty.clone(), 0).unpack(), empty);
}

#[test]
fn policies_read_packed_spans_as_they_read_stored_ones() {
    let mut span = stored(1, 2, Some(1), "svc", "op");
    span.trace_state = "ot=th:c".into();
    span.attributes = every_kind();
    let packed = BufferedSpan::pack(span.clone(), 0);
    for kv in every_kind() {
        assert_eq!(
            packed.attribute(&kv.key),
            span.attribute(&kv.key),
            "{}",
            kv.key
        );
    }
    assert_eq!(packed.attribute("absent"), None);
    assert_eq!(
        packed.attribute("http.route"),
        Some(AttrValue::Str("/reviews/{id}"))
    );
    assert_eq!(packed.name(), "op");
    assert_eq!(packed.trace_state(), "ot=th:c");
    assert_eq!(packed.status(), span.status());
    assert_eq!(
        (packed.start_unix_nano(), packed.end_unix_nano()),
        (span.start_unix_nano, span.end_unix_nano)
    );
    assert_eq!(
        packed.resource_attribute("service.name"),
        Some(AttrValue::Str("svc"))
    );
}

#[test]
fn packed_attributes_cost_their_bytes_plus_nine() {
    let attributes = vec![
        kv_str("http.route", "/reviews/{id}"),
        kv("n", Value::IntValue(1)),
    ];
    let packed = PackedAttributes::pack(&attributes);
    assert_eq!(packed.0.len(), (9 + 10 + 13) + (9 + 1 + 8));
}
