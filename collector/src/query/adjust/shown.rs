//! [`ShownSpan`]: a stored span with the id, parent and warnings it is shown with.

use super::{clock_skew, uniquify};
use crate::store::{StoredSpan, Trace};

/// A span as the query API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownSpan<'a> {
    /// The stored span.
    pub span: &'a StoredSpan,
    /// Its id as shown; differs from the stored one for the server half of a shared span.
    pub span_id: [u8; 8],
    /// Its parent as shown.
    pub parent_span_id: Option<[u8; 8]>,
    /// Problems found while adjusting, in Jaeger's words.
    pub warnings: Vec<String>,
}

impl<'a> ShownSpan<'a> {
    /// The span as stored, without warnings.
    pub fn new(span: &'a StoredSpan) -> Self {
        Self {
            span,
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            warnings: Vec::new(),
        }
    }
}

/// The spans of `trace` by start time, with unique ids and clock-skew warnings.
pub fn adjust(trace: &Trace) -> Vec<ShownSpan<'_>> {
    let mut spans: Vec<ShownSpan<'_>> = trace.spans.iter().map(|s| ShownSpan::new(s)).collect();
    spans.sort_by_key(|shown| shown.span.start_unix_nano);
    uniquify::uniquify(&mut spans);
    clock_skew::warn(&mut spans);
    spans
}
