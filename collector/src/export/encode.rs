//! One export request's body, encoded once per batch and reused by every retry.
//!
//! The queued items share their `ResourceSpans` with other exporters, so the request is
//! written field by field from borrowed items instead of being assembled (and cloned) as an
//! `ExportTraceServiceRequest` first; the bytes are the same.

use std::io::{self, Write};

use bytes::{BufMut, Bytes, BytesMut};
use flate2::Compression;
use flate2::write::GzEncoder;
use prost::Message;
use prost::encoding::{WireType, encode_key, encoded_len_varint, key_len};

use super::queue::ExportItem;

/// Field number of `ExportTraceServiceRequest.resource_spans`.
const RESOURCE_SPANS_FIELD: u32 = 1;

/// `ExportTraceServiceRequest { resource_spans: <every item's, in order> }` as protobuf.
/// Items that hold their encoding (pass-through, or encoded for a disk queue) are copied as
/// they are: concatenated requests are one request. A lone such item is not copied at all.
pub fn encode_request(items: &[ExportItem]) -> Bytes {
    if let [item] = items
        && let Some(encoding) = item.encoding()
    {
        return encoding.clone();
    }
    let size: usize = items.iter().map(encoded_len).sum();
    let mut buf = BytesMut::with_capacity(size);
    for item in items {
        if let Some(encoding) = item.encoding() {
            buf.extend_from_slice(encoding);
            continue;
        }
        for rs in item.resource_spans() {
            encode_key(RESOURCE_SPANS_FIELD, WireType::LengthDelimited, &mut buf);
            // Writing into a growable buffer cannot run out of room.
            let _ = rs.encode_length_delimited(&mut buf);
        }
    }
    buf.freeze()
}

/// How many bytes `item` adds to a request.
fn encoded_len(item: &ExportItem) -> usize {
    if let Some(encoding) = item.encoding() {
        return encoding.len();
    }
    item.resource_spans()
        .iter()
        .map(|rs| {
            let len = rs.encoded_len();
            key_len(RESOURCE_SPANS_FIELD) + encoded_len_varint(len as u64) + len
        })
        .sum()
}

/// `body` gzip-compressed (fast level: the exporter is on the collector's hot path).
pub fn gzip(body: &[u8]) -> io::Result<Bytes> {
    let mut encoder = GzEncoder::new(
        BytesMut::with_capacity(body.len() / 4 + 64).writer(),
        Compression::fast(),
    );
    encoder.write_all(body)?;
    Ok(encoder.finish()?.into_inner().freeze())
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::sync::Arc;

    use flate2::read::GzDecoder;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::ResourceSpans;

    use super::*;
    use crate::export::convert::to_resource_spans;
    use crate::test_support::stored;

    #[test]
    fn encodes_the_same_bytes_as_prost() {
        let a = to_resource_spans(&[stored(1, 1, None, "a", "x"), stored(1, 2, None, "b", "y")]);
        let b = to_resource_spans(&[stored(2, 3, None, "c", "z")]);
        let items = [
            ExportItem::new(Arc::new(a.clone())),
            ExportItem::new(Arc::new(b.clone())),
        ];
        let want = ExportTraceServiceRequest {
            resource_spans: [a, b].concat(),
        }
        .encode_to_vec();
        assert_eq!(encode_request(&items).as_ref(), want.as_slice());
        assert!(encode_request(&[]).is_empty());
    }

    #[test]
    fn received_requests_are_concatenated_as_they_are() {
        let a = to_resource_spans(&[stored(1, 1, None, "a", "x")]);
        let b = to_resource_spans(&[stored(2, 3, None, "c", "z"), stored(2, 4, None, "c", "w")]);
        let encoded = |rs: &[ResourceSpans]| {
            Bytes::from(
                ExportTraceServiceRequest {
                    resource_spans: rs.to_vec(),
                }
                .encode_to_vec(),
            )
        };
        let raw_a = ExportItem::encoded(encoded(&a), 1);
        assert_eq!(encode_request(std::slice::from_ref(&raw_a)), encoded(&a));
        let items = [raw_a, ExportItem::new(Arc::new(b.clone()))];
        assert_eq!(items.iter().map(ExportItem::spans).sum::<u64>(), 3);
        let merged = ExportTraceServiceRequest::decode(encode_request(&items)).unwrap();
        assert_eq!(merged.resource_spans, [a, b].concat());
    }

    #[test]
    fn gzip_round_trips() {
        let body = b"spans spans spans spans".repeat(100);
        let zipped = gzip(&body).unwrap();
        assert!(zipped.len() < body.len());
        let mut out = Vec::new();
        GzDecoder::new(zipped.as_ref())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
    }
}
