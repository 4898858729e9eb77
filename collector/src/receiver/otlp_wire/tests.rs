//! The walk against prost: the same verdict on valid, broken and mutated requests.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValueList, any_value::Value,
};
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ScopeSpans, Status};
use proptest::prelude::*;
use prost::Message;

use super::*;
use crate::test_support::{kv, kv_str, otlp_span, request};

const TRACE: [u8; 16] = [0xab; 16];

/// A request using every message of the schema, with one span of each id fault.
fn rich_request() -> ExportTraceServiceRequest {
    let nested = Value::ArrayValue(ArrayValue {
        values: vec![
            AnyValue {
                value: Some(Value::IntValue(-3)),
            },
            AnyValue {
                value: Some(Value::KvlistValue(KeyValueList {
                    values: vec![kv("b", Value::BoolValue(true))],
                })),
            },
            AnyValue {
                value: Some(Value::BytesValue(vec![0, 1, 2])),
            },
        ],
    });
    let mut good = otlp_span(&TRACE, &[1; 8], &[2; 8], "good ✓");
    good.attributes = vec![
        kv_str("http.method", "GET"),
        kv("nested", nested),
        kv("ratio", Value::DoubleValue(0.5)),
    ];
    good.events = vec![Event {
        time_unix_nano: 7,
        name: "exception".into(),
        attributes: vec![kv_str("exception.type", "E")],
        dropped_attributes_count: 1,
    }];
    good.links = vec![Link {
        trace_id: TRACE.to_vec(),
        span_id: vec![3; 8],
        trace_state: "a=b".into(),
        attributes: vec![kv_str("k", "v")],
        dropped_attributes_count: 2,
        flags: 0x100,
    }];
    good.status = Some(Status {
        message: "boom".into(),
        code: 2,
    });
    good.flags = 0x301;
    good.trace_state = "ot=th:8".into();
    let mut req = request(
        "svc",
        vec![
            good,
            otlp_span(&TRACE[..15], &[1; 8], &[], "short trace"),
            otlp_span(&TRACE, &[0; 8], &[], "zero span"),
        ],
    );
    let rs = &mut req.resource_spans[0];
    rs.schema_url = "https://opentelemetry.io/schemas/1.26.0".into();
    if let Some(resource) = rs.resource.as_mut() {
        resource.entity_refs = vec![EntityRef {
            schema_url: String::new(),
            r#type: "k8s.pod".into(),
            id_keys: vec!["k8s.pod.uid".into()],
            description_keys: vec![],
        }];
    }
    rs.scope_spans[0].scope = Some(InstrumentationScope {
        name: "meshtrace".into(),
        version: "0.1".into(),
        attributes: vec![kv_str("x", "y")],
        dropped_attributes_count: 0,
    });
    rs.scope_spans.push(ScopeSpans {
        spans: vec![otlp_span(&TRACE, &[4; 8], &[], "second scope")],
        ..Default::default()
    });
    req
}

/// The verdict prost gives, in the walk's terms.
fn prost_scan(bytes: &[u8]) -> Option<Scan> {
    let req = ExportTraceServiceRequest::decode(bytes).ok()?;
    let mut scan = Scan::default();
    let spans = req
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans);
    for span in spans {
        scan.spans += 1;
        if let Err(error) = check_ids(&span.trace_id, &span.span_id, &span.parent_span_id) {
            scan.rejected += 1;
            scan.first_error.get_or_insert(error);
        }
    }
    Some(scan)
}

#[test]
fn a_valid_request_is_counted_and_its_bad_ids_found() {
    let bytes = rich_request().encode_to_vec();
    let scan = scan(&bytes).unwrap();
    assert_eq!(scan.spans, 4);
    assert_eq!(scan.rejected, 2);
    assert_eq!(scan.first_error, Some(SpanError::TraceIdLength(15)));
    assert_eq!(Some(scan), prost_scan(&bytes));
    assert_eq!(
        super::scan(&[]),
        Ok(Scan::default()),
        "an empty request is valid"
    );
}

#[rustfmt::skip]
#[test]
fn broken_encodings_are_refused_with_a_reason() {
    let cases: &[(&[u8], WireErrorKind, &str)] = &[
        (&[0x0a, 0x05, 0x12],                  WireErrorKind::Truncated, "ExportTraceServiceRequest"),
        (&[0x08, 0x01],                        WireErrorKind::WireType(1), "ExportTraceServiceRequest"),
        (&[0x00],                              WireErrorKind::Key, "ExportTraceServiceRequest"),
        (&[0x0f],                              WireErrorKind::Key, "ExportTraceServiceRequest"),
        (&[0x80],                              WireErrorKind::Varint, "ExportTraceServiceRequest"),
        (&[0x24],                              WireErrorKind::EndGroup, "ExportTraceServiceRequest"),
        (&[0x1b, 0x24],                        WireErrorKind::EndGroup, "ExportTraceServiceRequest"),
        // ResourceSpans { schema_url: "\xff" }
        (&[0x0a, 0x03, 0x1a, 0x01, 0xff],      WireErrorKind::Utf8(3), "ResourceSpans"),
        // ResourceSpans { scope_spans { spans { start_time: fixed64 cut short } } }
        (&[0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x39, 0x00], WireErrorKind::Truncated, "Span"),
    ];
    for (bytes, kind, message) in cases {
        let err = scan(bytes).unwrap_err();
        assert_eq!((err.kind, err.message), (*kind, *message), "{bytes:02x?}");
        assert!(prost_scan(bytes).is_none(), "prost refuses {bytes:02x?} too");
    }
    let err = scan(&[0x0a, 0x03, 0x1a, 0x01, 0xff]).unwrap_err();
    assert_eq!(err.to_string(), "string field 3 is not UTF-8 in ResourceSpans");
}

#[test]
fn unknown_fields_and_groups_are_skipped_like_prost() {
    // Field 9 varint, field 10 fixed64, field 11 a group holding a varint, field 12 bytes.
    let bytes = [
        0x48, 0x96, 0x01, 0x51, 0, 0, 0, 0, 0, 0, 0, 0, 0x5b, 0x08, 0x01, 0x5c, 0x62, 0x01, 0xaa,
    ];
    assert_eq!(scan(&bytes), Ok(Scan::default()));
    assert!(prost_scan(&bytes).is_some());
}

#[test]
fn nesting_stops_at_prosts_recursion_limit() {
    let nest = |levels: usize| {
        let mut value = AnyValue {
            value: Some(Value::IntValue(1)),
        };
        for _ in 0..levels {
            value = AnyValue {
                value: Some(Value::ArrayValue(ArrayValue {
                    values: vec![value],
                })),
            };
        }
        let mut span = otlp_span(&TRACE, &[1; 8], &[], "deep");
        span.attributes = vec![kv("deep", value.value.unwrap_or(Value::IntValue(0)))];
        request("svc", vec![span]).encode_to_vec()
    };
    for levels in [10, 40, 45, 46, 47, 48, 60] {
        let bytes = nest(levels);
        let ours = scan(&bytes).ok();
        assert_eq!(ours, prost_scan(&bytes), "{levels} levels");
    }
    assert!(scan(&nest(60)).is_err_and(|e| e.kind == WireErrorKind::Recursion));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_requests_get_prosts_verdict(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
    ) {
        let mut bytes = rich_request().encode_to_vec();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
            if bytes.is_empty() {
                break;
            }
        }
        prop_assert_eq!(scan(&bytes).ok(), prost_scan(&bytes));
    }
}
