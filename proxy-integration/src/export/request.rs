//! An OTLP `ExportTraceServiceRequest` assembled from spans encoded on the workers: the
//! resource and scope are encoded once, and each batch is written straight into tonic's frame
//! buffer around the spans' bytes (no `Span` structs, no second encoding pass).

use std::sync::Arc;

use bytes::BufMut;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tonic::Status;
use tonic::codec::{Codec, EncodeBuf, Encoder};
use tonic_prost::ProstDecoder;

use super::EncodedSpan;
use super::wire::{len_prefix, varint_len};

/// The gRPC method the batches go to.
pub(super) const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Field numbers: `ExportTraceServiceRequest.resource_spans`, `ResourceSpans.resource` and
/// `.scope_spans`, `ScopeSpans.scope` and `.spans` (1, 1, 2, 1, 2).
const RESOURCE_SPANS: u32 = 1;
const RESOURCE: u32 = 1;
const SCOPE_SPANS: u32 = 2;
const SCOPE: u32 = 1;
const SPANS: u32 = 2;

/// What every request of one sidecar starts with: its resource and scope, encoded.
#[derive(Debug)]
pub(super) struct Header {
    resource: Vec<u8>,
    scope: Vec<u8>,
}

impl Header {
    /// Encodes `resource` and the sidecar's instrumentation scope.
    pub(super) fn new(resource: &Resource) -> Self {
        let scope = InstrumentationScope {
            name: "meshtrace-sidecar".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            ..InstrumentationScope::default()
        };
        Self {
            resource: resource.encode_to_vec(),
            scope: scope.encode_to_vec(),
        }
    }
}

/// One export request: the header and a batch of spans.
#[derive(Debug)]
pub(super) struct Batch {
    pub(super) header: Arc<Header>,
    pub(super) spans: Vec<EncodedSpan>,
}

/// How many bytes a length-delimited field of `len` bytes takes (key, length, bytes); every
/// field number here is below 16, so its key is one byte.
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

impl Batch {
    /// Writes the request into `dst`.
    fn write(&self, dst: &mut impl BufMut) {
        let scope_spans_len = field_len(self.header.scope.len())
            + self
                .spans
                .iter()
                .map(|s| field_len(s.as_bytes().len()))
                .sum::<usize>();
        let resource_spans_len = field_len(self.header.resource.len()) + field_len(scope_spans_len);
        let mut prefix = Vec::with_capacity(32 + self.header.resource.len());
        len_prefix(&mut prefix, RESOURCE_SPANS, resource_spans_len);
        len_prefix(&mut prefix, RESOURCE, self.header.resource.len());
        prefix.extend_from_slice(&self.header.resource);
        len_prefix(&mut prefix, SCOPE_SPANS, scope_spans_len);
        len_prefix(&mut prefix, SCOPE, self.header.scope.len());
        prefix.extend_from_slice(&self.header.scope);
        dst.put_slice(&prefix);
        for span in &self.spans {
            prefix.clear();
            len_prefix(&mut prefix, SPANS, span.as_bytes().len());
            dst.put_slice(&prefix);
            dst.put_slice(span.as_bytes());
        }
    }
}

/// Requests go out pre-encoded; answers are OTLP responses.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PreEncoded;

impl Codec for PreEncoded {
    type Encode = Batch;
    type Decode = ExportTraceServiceResponse;
    type Encoder = BatchEncoder;
    type Decoder = ProstDecoder<ExportTraceServiceResponse>;

    fn encoder(&mut self) -> Self::Encoder {
        BatchEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

/// Writes a [`Batch`] into the gRPC frame.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BatchEncoder;

impl Encoder for BatchEncoder {
    type Item = Batch;
    type Error = Status;

    fn encode(&mut self, item: Batch, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.write(dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::Span;

    use super::*;
    use crate::trace::kv;

    #[test]
    fn a_batch_decodes_as_one_resource_and_scope_with_its_spans() {
        let resource = Resource {
            attributes: vec![kv(
                "service.name",
                opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                    "reviews".into(),
                ),
            )],
            ..Resource::default()
        };
        let spans: Vec<Span> = (0..3u8)
            .map(|i| Span {
                name: format!("GET /{i}"),
                span_id: vec![i + 1; 8],
                trace_id: vec![7; 16],
                ..Span::default()
            })
            .collect();
        let batch = Batch {
            header: Arc::new(Header::new(&resource)),
            spans: spans
                .iter()
                .map(|s| EncodedSpan::new(s.encode_to_vec()))
                .collect(),
        };
        let mut buf = Vec::new();
        batch.write(&mut buf);
        let request = ExportTraceServiceRequest::decode(buf.as_slice()).unwrap();
        assert_eq!(request.resource_spans.len(), 1);
        let resource_spans = &request.resource_spans[0];
        assert_eq!(resource_spans.resource.as_ref(), Some(&resource));
        assert_eq!(resource_spans.scope_spans.len(), 1);
        let scope_spans = &resource_spans.scope_spans[0];
        assert_eq!(
            scope_spans.scope.as_ref().map(|s| s.name.as_str()),
            Some("meshtrace-sidecar")
        );
        assert_eq!(scope_spans.spans, spans);
    }
}
