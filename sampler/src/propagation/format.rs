//! The propagation formats meshtrace knows, their names on the command line, and the dispatch
//! from a format to its codec module.

use std::str::FromStr;

use http::HeaderName;

use super::headers::TraceHeaders;
use super::outgoing::Outgoing;
use super::{Extracted, InvalidHeader, b3_multi, b3_single, jaeger, w3c};
use crate::SpanContext;

/// A header format meshtrace reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// W3C Trace Context `traceparent` / `tracestate`.
    W3c,
    /// B3 single header `b3`.
    B3,
    /// B3 multi-header `X-B3-*`.
    B3Multi,
    /// Jaeger `uber-trace-id`.
    Jaeger,
}

impl Format {
    /// Extraction order (SPEC): the first format that yields a valid context wins.
    pub const EXTRACT_ORDER: [Format; 4] =
        [Format::W3c, Format::B3, Format::B3Multi, Format::Jaeger];

    /// The name used by `--propagation` and the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::W3c => "w3c",
            Format::B3 => "b3",
            Format::B3Multi => "b3multi",
            Format::Jaeger => "jaeger",
        }
    }

    pub(super) fn extract(
        self,
        headers: &TraceHeaders<'_>,
    ) -> Result<Option<Extracted>, InvalidHeader> {
        match self {
            Format::W3c => w3c::extract(headers),
            Format::B3 => b3_single::extract(headers),
            Format::B3Multi => b3_multi::extract(headers),
            Format::Jaeger => jaeger::extract(headers),
        }
    }

    pub(super) fn inject(self, context: &SpanContext, headers: &mut Outgoing) {
        match self {
            Format::W3c => w3c::inject(context, headers),
            Format::B3 => b3_single::inject(context, headers),
            Format::B3Multi => b3_multi::inject(context, headers),
            Format::Jaeger => jaeger::inject(context, headers),
        }
    }

    /// The headers this format owns (removed before injecting).
    pub fn headers(self) -> &'static [&'static HeaderName] {
        match self {
            Format::W3c => &w3c::HEADERS,
            Format::B3 => &b3_single::HEADERS,
            Format::B3Multi => &b3_multi::HEADERS,
            Format::Jaeger => &jaeger::HEADERS,
        }
    }

    /// The headers [`Format::inject`] always writes (so they need no removal first).
    pub(super) fn always_written(self) -> &'static [&'static HeaderName] {
        match self {
            Format::W3c => &w3c::ALWAYS_WRITTEN,
            Format::B3 => &b3_single::HEADERS,
            Format::B3Multi => &b3_multi::ALWAYS_WRITTEN,
            Format::Jaeger => &jaeger::HEADERS,
        }
    }
}

/// Formats whose headers a request carries, one bit per format (see `headers`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FormatSet(u8);

impl FormatSet {
    /// Adds `format`.
    pub(super) fn insert(&mut self, format: Format) {
        self.0 |= format.bit();
    }

    /// Whether `format` is in the set.
    pub(super) fn contains(self, format: Format) -> bool {
        self.0 & format.bit() != 0
    }
}

impl Format {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The name of a format is not one meshtrace knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown propagation format {0:?} (expected w3c, b3, b3multi or jaeger)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "w3c" | "tracecontext" => Ok(Format::W3c),
            "b3" => Ok(Format::B3),
            "b3multi" => Ok(Format::B3Multi),
            "jaeger" => Ok(Format::Jaeger),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}
