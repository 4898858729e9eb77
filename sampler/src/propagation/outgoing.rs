//! Writing a hop's trace headers: the writes are collected, then applied in one pass over the
//! outgoing request's header map.

use http::header::InvalidHeaderValue;
use http::{HeaderMap, HeaderValue};

use super::headers::{KNOWN, Known};

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
    use crate::propagation::{b3_multi, b3_single, jaeger, w3c};

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
