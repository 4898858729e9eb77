//! Zipkin v2 protobuf (`application/x-protobuf`): `ListOfSpans` and friends, written by hand
//! from `zipkin.proto` in the openzipkin/zipkin-api repository (package `zipkin.proto3`;
//! no maintained crate ships them), and their parsing into [`ZipkinSpan`]s.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use prost::Message;

use super::span::{Annotation, Endpoint, FieldError, Kind, SpanError, ZipkinSpan, nonzero, parent};
use crate::receiver::ReceiveError;

/// The format name used in error messages.
pub const FORMAT: &str = "Zipkin v2 protobuf";

/// `zipkin.proto3.ListOfSpans`.
#[derive(Clone, PartialEq, Message)]
pub struct ListOfSpans {
    /// The spans.
    #[prost(message, repeated, tag = "1")]
    pub spans: Vec<Span>,
}

/// `zipkin.proto3.Span`.
#[derive(Clone, PartialEq, Message)]
pub struct Span {
    /// 8 or 16 bytes, big endian.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// Empty for a root, else 8 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub parent_id: Vec<u8>,
    /// 8 bytes.
    #[prost(bytes = "vec", tag = "3")]
    pub id: Vec<u8>,
    /// `Span.Kind`: 0 unspecified, 1 CLIENT, 2 SERVER, 3 PRODUCER, 4 CONSUMER.
    #[prost(int32, tag = "4")]
    pub kind: i32,
    /// Operation name.
    #[prost(string, tag = "5")]
    pub name: String,
    /// Epoch microseconds.
    #[prost(fixed64, tag = "6")]
    pub timestamp: u64,
    /// Microseconds.
    #[prost(uint64, tag = "7")]
    pub duration: u64,
    /// The host that recorded the span.
    #[prost(message, optional, tag = "8")]
    pub local_endpoint: Option<ProtoEndpoint>,
    /// The other side.
    #[prost(message, optional, tag = "9")]
    pub remote_endpoint: Option<ProtoEndpoint>,
    /// Events.
    #[prost(message, repeated, tag = "10")]
    pub annotations: Vec<ProtoAnnotation>,
    /// Tags.
    #[prost(btree_map = "string, string", tag = "11")]
    pub tags: BTreeMap<String, String>,
    /// Debug flag.
    #[prost(bool, tag = "12")]
    pub debug: bool,
    /// Shared span flag.
    #[prost(bool, tag = "13")]
    pub shared: bool,
}

/// `zipkin.proto3.Endpoint`.
#[derive(Clone, PartialEq, Message)]
pub struct ProtoEndpoint {
    /// Service name.
    #[prost(string, tag = "1")]
    pub service_name: String,
    /// 4 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub ipv4: Vec<u8>,
    /// 16 bytes.
    #[prost(bytes = "vec", tag = "3")]
    pub ipv6: Vec<u8>,
    /// Port.
    #[prost(int32, tag = "4")]
    pub port: i32,
}

/// `zipkin.proto3.Annotation`.
#[derive(Clone, PartialEq, Message)]
pub struct ProtoAnnotation {
    /// Epoch microseconds.
    #[prost(fixed64, tag = "1")]
    pub timestamp: u64,
    /// Value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// Parses a `ListOfSpans`; the first invalid span refuses the request, naming it.
pub fn parse(bytes: &[u8]) -> Result<Vec<ZipkinSpan>, ReceiveError> {
    let list = ListOfSpans::decode(bytes).map_err(|err| ReceiveError::Malformed {
        format: FORMAT,
        reason: err.to_string(),
    })?;
    list.spans
        .into_iter()
        .enumerate()
        .map(|(index, span)| {
            span.parse().map_err(|error| ReceiveError::Malformed {
                format: FORMAT,
                reason: SpanError { index, error }.to_string(),
            })
        })
        .collect()
}

impl Span {
    fn parse(self) -> Result<ZipkinSpan, FieldError> {
        let trace_id = match self.trace_id.len() {
            16 => <[u8; 16]>::try_from(self.trace_id.as_slice()).ok(),
            8 => <[u8; 8]>::try_from(self.trace_id.as_slice())
                .ok()
                .map(|low| u128::from(u64::from_be_bytes(low)).to_be_bytes()),
            _ => None,
        };
        let trace_id = trace_id.ok_or(FieldError::IdLength {
            field: "trace_id",
            expected: "8 or 16",
            got: self.trace_id.len(),
        })?;
        let id = nonzero("id", eight("id", &self.id)?)?;
        let parent_id = match self.parent_id.as_slice() {
            [] => None,
            bytes => Some(eight("parent_id", bytes)?),
        };
        let kind = match self.kind {
            0 => None,
            1 => Some(Kind::Client),
            2 => Some(Kind::Server),
            3 => Some(Kind::Producer),
            4 => Some(Kind::Consumer),
            _ => return Err(FieldError::Kind),
        };
        Ok(ZipkinSpan {
            trace_id: nonzero("trace_id", trace_id)?,
            id,
            parent_id: parent(parent_id, id),
            kind,
            name: self.name,
            timestamp_us: self.timestamp,
            duration_us: self.duration,
            local_endpoint: self
                .local_endpoint
                .map(|e| e.parse("local_endpoint"))
                .transpose()?,
            remote_endpoint: self
                .remote_endpoint
                .map(|e| e.parse("remote_endpoint"))
                .transpose()?,
            annotations: self
                .annotations
                .into_iter()
                .map(|a| Annotation {
                    timestamp_us: a.timestamp,
                    value: a.value,
                })
                .collect(),
            tags: self.tags.into_iter().collect(),
            debug: self.debug,
            shared: self.shared,
        })
    }
}

impl ProtoEndpoint {
    fn parse(self, field: &'static str) -> Result<Endpoint, FieldError> {
        let address = FieldError::Address { field };
        let ipv4 = match self.ipv4.as_slice() {
            [] => None,
            bytes => Some(Ipv4Addr::from(
                <[u8; 4]>::try_from(bytes).map_err(|_| address)?,
            )),
        };
        let ipv6 = match self.ipv6.as_slice() {
            [] => None,
            bytes => Some(Ipv6Addr::from(
                <[u8; 16]>::try_from(bytes).map_err(|_| address)?,
            )),
        };
        let port = match self.port {
            0 => None,
            port => Some(u16::try_from(port).map_err(|_| FieldError::Port { field })?),
        };
        Ok(Endpoint {
            service_name: Some(self.service_name).filter(|s| !s.is_empty()),
            ipv4,
            ipv6,
            port,
        })
    }
}

fn eight(field: &'static str, bytes: &[u8]) -> Result<[u8; 8], FieldError> {
    <[u8; 8]>::try_from(bytes).map_err(|_| FieldError::IdLength {
        field,
        expected: "8",
        got: bytes.len(),
    })
}
