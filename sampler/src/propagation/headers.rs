//! The trace headers of one request, found in one pass over its header map: formats read
//! their headers from here instead of hashing every name they look up, and formats with no
//! header present are not asked at all.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::format::FormatSet;
use super::{Format, b3_multi, b3_single, jaeger, w3c};

/// A header some format owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    Traceparent,
    Tracestate,
    B3,
    B3TraceId,
    B3SpanId,
    B3ParentSpanId,
    B3Sampled,
    B3Flags,
    UberTraceId,
}

/// Whether `name` is `want`.
fn is<const N: usize>(name: &[u8], want: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(name).is_ok_and(|name| name == want)
}

/// How many [`Known`] headers there are.
pub(super) const KNOWN: usize = 9;
// Masks of known headers are `u16`s, a bit each.
const _: () = assert!(KNOWN <= 16);

impl Known {
    /// Every known header.
    pub(super) const ALL: [Known; KNOWN] = [
        Known::Traceparent,
        Known::Tracestate,
        Known::B3,
        Known::B3TraceId,
        Known::B3SpanId,
        Known::B3ParentSpanId,
        Known::B3Sampled,
        Known::B3Flags,
        Known::UberTraceId,
    ];

    /// The known header called `name` (lowercase, as `HeaderName` keeps it). Byte-string
    /// patterns compile to a length switch and word compares, no `memcmp` call per name.
    pub(super) fn of(name: &[u8]) -> Option<Known> {
        // By length first, then whole-word compares of fixed-size arrays (a byte-string
        // `match` compares byte by byte).
        let known = match name.len() {
            2 if is(name, b"b3") => Known::B3,
            10 if is(name, b"tracestate") => Known::Tracestate,
            10 if is(name, b"x-b3-flags") => Known::B3Flags,
            11 if is(name, b"traceparent") => Known::Traceparent,
            11 if is(name, b"x-b3-spanid") => Known::B3SpanId,
            12 if is(name, b"x-b3-traceid") => Known::B3TraceId,
            12 if is(name, b"x-b3-sampled") => Known::B3Sampled,
            13 if is(name, b"uber-trace-id") => Known::UberTraceId,
            17 if is(name, b"x-b3-parentspanid") => Known::B3ParentSpanId,
            _ => return None,
        };
        Some(known)
    }

    /// This header's bit in a mask of known headers (`u16`: there are fewer than 16).
    pub(super) fn bit(self) -> u16 {
        1 << (self as usize)
    }

    /// The format owning this header.
    pub(super) fn format(self) -> Format {
        match self {
            Known::Traceparent | Known::Tracestate => Format::W3c,
            Known::B3 => Format::B3,
            Known::B3TraceId
            | Known::B3SpanId
            | Known::B3ParentSpanId
            | Known::B3Sampled
            | Known::B3Flags => Format::B3Multi,
            Known::UberTraceId => Format::Jaeger,
        }
    }

    /// The header's name.
    pub(super) fn name(self) -> &'static HeaderName {
        match self {
            Known::Traceparent => &w3c::TRACEPARENT,
            Known::Tracestate => &w3c::TRACESTATE,
            Known::B3 => &b3_single::B3,
            Known::B3TraceId => &b3_multi::TRACE_ID,
            Known::B3SpanId => &b3_multi::SPAN_ID,
            Known::B3ParentSpanId => &b3_multi::PARENT_SPAN_ID,
            Known::B3Sampled => &b3_multi::SAMPLED,
            Known::B3Flags => &b3_multi::FLAGS,
            Known::UberTraceId => &jaeger::UBER_TRACE_ID,
        }
    }
}

/// A header that must appear at most once appeared several times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Repeated;

/// The known trace headers of one request.
#[derive(Debug)]
pub(super) struct TraceHeaders<'a> {
    map: &'a HeaderMap,
    /// The first line of each known header. Only the first: whether there are more is a
    /// bit in `repeated`, so this stays small enough to be built and moved without `memset`
    /// and `memcpy` calls.
    first: [Option<&'a HeaderValue>; KNOWN],
    /// Headers with more than one line, a bit each (`1 << known`).
    repeated: u16,
    present: FormatSet,
}

impl<'a> TraceHeaders<'a> {
    /// Finds the known headers of `map` in one pass. Inlined into its one caller, so the
    /// lines are written in place rather than returned and copied.
    #[inline]
    pub(super) fn find(map: &'a HeaderMap) -> Self {
        let mut first = [None; KNOWN];
        let mut repeated = 0u16;
        let mut present = FormatSet::default();
        for (name, value) in map {
            let Some(known) = Known::of(name.as_str().as_bytes()) else {
                continue;
            };
            present.insert(known.format());
            if let Some(slot) = first.get_mut(known as usize) {
                if slot.is_some() {
                    repeated |= known.bit();
                } else {
                    *slot = Some(value);
                }
            }
        }
        Self {
            map,
            first,
            repeated,
            present,
        }
    }

    /// The formats with at least one header present.
    pub(super) fn present(&self) -> FormatSet {
        self.present
    }

    /// Whether `known` has more than one line.
    fn is_repeated(&self, known: Known) -> bool {
        self.repeated & known.bit() != 0
    }

    /// The first line of `known`, as `HeaderMap::get` gives it.
    pub(super) fn first(&self, known: Known) -> Option<&'a HeaderValue> {
        self.first.get(known as usize).copied().flatten()
    }

    /// The one line of `known`: `Ok(None)` when absent, `Err` when repeated.
    pub(super) fn single(&self, known: Known) -> Result<Option<&'a HeaderValue>, Repeated> {
        if self.is_repeated(known) {
            return Err(Repeated);
        }
        Ok(self.first(known))
    }

    /// Every line of `known`, in order (a second pass, by name, only when there are several).
    pub(super) fn all(&self, known: Known) -> impl Iterator<Item = &'a HeaderValue> + use<'a> {
        let several = self.is_repeated(known);
        let one = self.first(known).filter(|_| !several);
        let several = several.then(|| self.map.get_all(known.name()).iter());
        one.into_iter().chain(several.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_header_maps_back_to_itself_and_its_format() {
        for known in Known::ALL {
            assert_eq!(Known::of(known.name().as_str().as_bytes()), Some(known));
            assert!(
                known.format().headers().contains(&known.name()),
                "{known:?}"
            );
        }
        for format in Format::EXTRACT_ORDER {
            for name in format.headers() {
                let known = Known::of(name.as_str().as_bytes());
                assert_eq!(known.map(Known::format), Some(format), "{name}");
            }
        }
        for other in ["x-request-id", "b4", "traceparenx", "host", ""] {
            assert_eq!(Known::of(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn finds_lines_like_the_map() {
        let mut map = HeaderMap::new();
        map.insert("host", HeaderValue::from_static("a"));
        map.append(&w3c::TRACESTATE, HeaderValue::from_static("a=1"));
        map.append(&w3c::TRACESTATE, HeaderValue::from_static("b=2"));
        map.insert(&w3c::TRACEPARENT, HeaderValue::from_static("x"));
        let found = TraceHeaders::find(&map);
        assert!(found.present().contains(Format::W3c));
        assert!(!found.present().contains(Format::B3));
        assert_eq!(
            found.single(Known::Traceparent),
            Ok(map.get(&w3c::TRACEPARENT))
        );
        assert_eq!(found.single(Known::Tracestate), Err(Repeated));
        assert_eq!(found.first(Known::Tracestate), map.get(&w3c::TRACESTATE));
        let all: Vec<_> = found.all(Known::Tracestate).collect();
        let want: Vec<_> = map.get_all(&w3c::TRACESTATE).iter().collect();
        assert_eq!(all, want);
        assert_eq!(found.all(Known::Traceparent).count(), 1);
        assert_eq!(found.all(Known::B3).count(), 0);
        assert_eq!(found.single(Known::B3), Ok(None));
    }
}
