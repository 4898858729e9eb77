//! OTLP requests the end-to-end tests send.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
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

/// One `TraceService/Export` call on `endpoint` whose gRPC message is `payload` as given
/// (hand-made, possibly malformed), marked compressed with `encoding` when one is given;
/// `grpc-status` and the decoded `grpc-message`.
pub async fn raw_export(
    endpoint: &str,
    encoding: Option<&str>,
    payload: &[u8],
) -> (String, String) {
    let mut frame = vec![u8::from(encoding.is_some())];
    frame.extend(u32::try_from(payload.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(payload);
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let mut call = http::Request::post(format!(
        "{endpoint}/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers");
    if let Some(encoding) = encoding {
        call = call.header("grpc-encoding", encoding);
    }
    let call = call.body(Full::new(Bytes::from(frame))).unwrap();
    let response = client.request(call).await.unwrap();
    let headers = response.headers().clone();
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let field = |k: &str| {
        headers
            .get(k)
            .or_else(|| trailers.get(k))
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let message = percent_encoding::percent_decode_str(&field("grpc-message"))
        .decode_utf8_lossy()
        .into_owned();
    (field("grpc-status"), message)
}
