//! The trace headers of one request, found in one pass over its header map: formats read
//! their headers from here instead of hashing every name they look up, and formats with no
//! header present are not asked at all. Formats write through [`Outgoing`], which knows which
//! headers are already there.

use http::header::InvalidHeaderValue;
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
const KNOWN: usize = 9;

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

/// The lines of one known header: the first, and how many there are.
#[derive(Debug, Clone, Copy, Default)]
struct Lines<'a> {
    first: Option<&'a HeaderValue>,
    count: usize,
}

/// A header that must appear at most once appeared several times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Repeated;

/// The known trace headers of one request.
#[derive(Debug)]
pub(super) struct TraceHeaders<'a> {
    map: &'a HeaderMap,
    lines: [Lines<'a>; KNOWN],
    present: FormatSet,
}

impl<'a> TraceHeaders<'a> {
    /// Finds the known headers of `map` in one pass.
    pub(super) fn find(map: &'a HeaderMap) -> Self {
        let mut lines = [Lines::default(); KNOWN];
        let mut present = FormatSet::default();
        for (name, value) in map {
            let Some(known) = Known::of(name.as_str().as_bytes()) else {
                continue;
            };
            present.insert(known.format());
            if let Some(slot) = lines.get_mut(known as usize) {
                slot.first.get_or_insert(value);
                slot.count += 1;
            }
        }
        Self {
            map,
            lines,
            present,
        }
    }

    /// The formats with at least one header present.
    pub(super) fn present(&self) -> FormatSet {
        self.present
    }

    fn lines(&self, known: Known) -> Lines<'a> {
        self.lines.get(known as usize).copied().unwrap_or_default()
    }

    /// The first line of `known`, as `HeaderMap::get` gives it.
    pub(super) fn first(&self, known: Known) -> Option<&'a HeaderValue> {
        self.lines(known).first
    }

    /// The one line of `known`: `Ok(None)` when absent, `Err` when repeated.
    pub(super) fn single(&self, known: Known) -> Result<Option<&'a HeaderValue>, Repeated> {
        let lines = self.lines(known);
        if lines.count > 1 {
            return Err(Repeated);
        }
        Ok(lines.first)
    }

    /// Every line of `known`, in order (a second pass, by name, only when there are several).
    pub(super) fn all(&self, known: Known) -> impl Iterator<Item = &'a HeaderValue> + use<'a> {
        let lines = self.lines(known);
        let several = (lines.count > 1).then(|| self.map.get_all(known.name()).iter());
        let one = lines.first.filter(|_| lines.count == 1);
        one.into_iter().chain(several.into_iter().flatten())
    }
}

/// What to do with one known header of an outgoing request.
#[derive(Debug, Default)]
enum Write {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Make it this one line.
    Set(HeaderValue),
    /// Set, in place, while applying.
    Placed,
    /// Remove every line of it.
    Remove,
}

/// The trace headers to write into an outgoing request, collected first and applied in one
/// pass over the map: a header the request already carries once is replaced in place (no
/// hashing, and nothing at all when the value is the same, as for a forwarded `tracestate`);
/// only absent, repeated or removed headers go through `HeaderMap::insert`/`remove`, which
/// hash the name (and `insert` reserves room before it looks, so even a replacement can
/// reallocate a full map).
#[derive(Debug, Default)]
pub(super) struct Outgoing {
    writes: [Write; KNOWN],
}

impl Outgoing {
    fn write(&mut self, known: Known, write: Write) {
        if let Some(slot) = self.writes.get_mut(known as usize) {
            *slot = write;
        }
    }

    /// Makes `known` the one line `value` (a later write of the same header wins).
    pub(super) fn set(&mut self, known: Known, value: HeaderValue) {
        self.write(known, Write::Set(value));
    }

    /// Sets `known` to `value`; a value that could not be built (never, for the hex and
    /// digits the codecs write) removes the header instead, so a stale context never travels
    /// on.
    pub(super) fn set_or_remove(
        &mut self,
        known: Known,
        value: Result<HeaderValue, InvalidHeaderValue>,
    ) {
        match value {
            Ok(value) => self.set(known, value),
            Err(_) => self.remove(known),
        }
    }

    /// Removes every line of `known` (a later write of the same header wins).
    pub(super) fn remove(&mut self, known: Known) {
        self.write(known, Write::Remove);
    }

    /// Applies the writes to `map`.
    pub(super) fn apply(mut self, map: &mut HeaderMap) {
        let mut lines = [0usize; KNOWN];
        for (name, value) in map.iter_mut() {
            let Some(known) = Known::of(name.as_str().as_bytes()) else {
                continue;
            };
            let (Some(count), Some(write)) = (
                lines.get_mut(known as usize),
                self.writes.get_mut(known as usize),
            ) else {
                continue;
            };
            *count += 1;
            if let Write::Set(new) = write {
                if value != new {
                    std::mem::swap(value, new);
                }
                *write = Write::Placed;
            }
        }
        // What is left needs the name hashed: rare once a hop's headers are in place.
        for (known, (write, &count)) in Known::ALL
            .into_iter()
            .zip(self.writes.iter_mut().zip(&lines))
        {
            let name = known.name();
            match (write, count) {
                (Write::Keep, _) | (Write::Placed, 1) | (Write::Remove, 0) => {}
                // The first line holds the new value: it becomes the only one.
                (Write::Placed, _) => {
                    if let Some(value) = map.get(name).cloned() {
                        map.insert(name, value);
                    }
                }
                (write @ Write::Set(_), _) => {
                    if let Write::Set(value) = std::mem::take(write) {
                        map.insert(name, value);
                    }
                }
                (Write::Remove, _) => {
                    map.remove(name);
                }
            }
        }
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

    #[test]
    fn outgoing_sets_and_removes_every_line() {
        let mut map = HeaderMap::new();
        map.append(&w3c::TRACESTATE, HeaderValue::from_static("a=1"));
        map.append(&w3c::TRACESTATE, HeaderValue::from_static("b=2"));
        map.insert(&w3c::TRACEPARENT, HeaderValue::from_static("x"));
        map.insert(&b3_multi::SAMPLED, HeaderValue::from_static("1"));
        map.insert(&b3_multi::FLAGS, HeaderValue::from_static("1"));
        map.insert("host", HeaderValue::from_static("h"));
        let mut out = Outgoing::default();
        out.remove(Known::B3Sampled);
        out.set(Known::Tracestate, HeaderValue::from_static("c=3"));
        out.set(Known::Traceparent, HeaderValue::from_static("y"));
        out.set(Known::B3, HeaderValue::from_static("0"));
        out.set(Known::B3, HeaderValue::from_static("1"));
        out.remove(Known::UberTraceId);
        out.set(Known::B3Flags, HeaderValue::from_static("1"));
        out.apply(&mut map);
        let lines = |map: &HeaderMap, name| map.get_all(name).iter().cloned().collect::<Vec<_>>();
        assert_eq!(lines(&map, &w3c::TRACESTATE), ["c=3"]);
        assert_eq!(lines(&map, &w3c::TRACEPARENT), ["y"]);
        assert_eq!(lines(&map, &b3_single::B3), ["1"]);
        assert_eq!(lines(&map, &b3_multi::FLAGS), ["1"]);
        assert!(!map.contains_key(&b3_multi::SAMPLED));
        assert!(!map.contains_key(&jaeger::UBER_TRACE_ID));
        assert_eq!(map.len(), 5);
        let mut out = Outgoing::default();
        out.remove(Known::Tracestate);
        out.set(Known::Traceparent, HeaderValue::from_static("y"));
        out.apply(&mut map);
        assert!(!map.contains_key(&w3c::TRACESTATE));
        assert_eq!(lines(&map, &w3c::TRACEPARENT), ["y"]);
    }
}
