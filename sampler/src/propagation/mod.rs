//! Trace-context propagation formats: one module per format, tried in the fixed order of the
//! SPEC when extracting, and written in the configured set when injecting.

mod b3_multi;
mod w3c;

use std::str::FromStr;

use http::HeaderMap;

use crate::SpanContext;

/// Headers an application must copy from the request it serves onto the requests it makes, so
/// that the sidecar can join them into one trace (the list Istio documents, plus ours).
pub const APP_PROPAGATED_HEADERS: &[&str] = &[
    "traceparent",
    "tracestate",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "uber-trace-id",
    "x-request-id",
];

/// A header format meshtrace reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// W3C Trace Context `traceparent` / `tracestate`.
    W3c,
    /// B3 multi-header `X-B3-*`.
    B3Multi,
}

impl Format {
    /// Extraction order: the first format that yields a valid context wins.
    pub const EXTRACT_ORDER: [Format; 2] = [Format::W3c, Format::B3Multi];

    fn extract(self, headers: &HeaderMap) -> Result<Option<SpanContext>, InvalidHeader> {
        match self {
            Format::W3c => w3c::extract(headers),
            Format::B3Multi => b3_multi::extract(headers),
        }
    }

    fn inject(self, context: &SpanContext, headers: &mut HeaderMap) {
        match self {
            Format::W3c => w3c::inject(context, headers),
            Format::B3Multi => b3_multi::inject(context, headers),
        }
    }

    fn clear(self, headers: &mut HeaderMap) {
        let names: &[&str] = match self {
            Format::W3c => w3c::HEADERS,
            Format::B3Multi => b3_multi::HEADERS,
        };
        for name in names {
            headers.remove(*name);
        }
    }
}

/// The name of a format is not one meshtrace knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown propagation format {0:?} (expected w3c or b3multi)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "w3c" | "tracecontext" => Ok(Format::W3c),
            "b3multi" => Ok(Format::B3Multi),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// A present header that could not be used; the request goes on as if it were absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {format:?} trace header")]
pub struct InvalidHeader {
    /// The format whose header was invalid.
    pub format: Format,
}

/// The result of reading a request's trace headers.
#[derive(Debug, Default)]
pub struct Extraction {
    /// The caller's context, from the first format that had a valid one.
    pub parent: Option<SpanContext>,
    /// Formats whose headers were present but invalid (to be counted, never to fail).
    pub invalid: Vec<Format>,
}

/// Which formats a hop injects. Extraction always tries every format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    inject: Vec<Format>,
}

impl Default for Propagation {
    /// W3C and B3 multi, as Istio applications expect.
    fn default() -> Self {
        Self {
            inject: vec![Format::W3c, Format::B3Multi],
        }
    }
}

impl Propagation {
    /// Injects the given formats, in order.
    pub fn new(inject: Vec<Format>) -> Self {
        Self { inject }
    }

    /// Reads the caller's context, trying each format in [`Format::EXTRACT_ORDER`].
    pub fn extract(&self, headers: &HeaderMap) -> Extraction {
        let mut extraction = Extraction::default();
        for format in Format::EXTRACT_ORDER {
            match format.extract(headers) {
                Ok(Some(context)) if extraction.parent.is_none() => {
                    extraction.parent = Some(context);
                }
                Ok(_) => {}
                Err(invalid) => extraction.invalid.push(invalid.format),
            }
        }
        extraction
    }

    /// Replaces every trace header of every format with `context` in the configured formats.
    pub fn inject(&self, context: &SpanContext, headers: &mut HeaderMap) {
        for format in Format::EXTRACT_ORDER {
            format.clear(headers);
        }
        for format in &self.inject {
            format.inject(context, headers);
        }
    }
}

#[cfg(test)]
mod tests;
