//! Writing a hop's trace headers: the writes are collected, then applied in one pass over the
//! outgoing request's header map.

use http::header::InvalidHeaderValue;
use http::{HeaderMap, HeaderValue};

use super::headers::{KNOWN, Known};

/// The trace headers to write into an outgoing request, collected first and applied in one
/// pass over the map: a header the request already carries once is replaced in place (no
/// hashing, and nothing at all when the value is the same, as for a forwarded `tracestate`);
/// only absent, repeated or removed headers go through `HeaderMap::insert`/`remove`, which
/// hash the name (and `insert` reserves room before it looks, so even a replacement can
/// reallocate a full map).
///
/// What to do with each known header is one bit in `sets` or `removes` (neither: leave it as
/// it is), so removing is a bit operation and what is left after the pass is found with a
/// few more; a set header's new value waits in its slot.
#[derive(Debug, Default)]
pub(super) struct Outgoing {
    values: [Option<HeaderValue>; KNOWN],
    sets: u16,
    removes: u16,
}

impl Outgoing {
    /// Writes that remove every header of `removes` (a bit per header, as [`Outgoing::mask`]
    /// makes them) and set none.
    pub(super) fn removing(removes: u16) -> Self {
        Self {
            removes,
            ..Self::default()
        }
    }

    /// The mask of these headers, for [`Outgoing::removing`].
    pub(super) fn mask(known: impl IntoIterator<Item = Known>) -> u16 {
        known.into_iter().fold(0, |mask, known| mask | known.bit())
    }

    /// Makes `known` the one line `value` (a later write of the same header wins).
    pub(super) fn set(&mut self, known: Known, value: HeaderValue) {
        if let Some(slot) = self.values.get_mut(known as usize) {
            *slot = Some(value);
            self.sets |= known.bit();
            self.removes &= !known.bit();
        }
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

    /// Removes every line of `known` (a later write of the same header wins). A value set
    /// before stays in its slot, unused, until this is dropped.
    pub(super) fn remove(&mut self, known: Known) {
        self.removes |= known.bit();
        self.sets &= !known.bit();
    }

    /// Applies the writes to `map`. Borrowed, not consumed: the slots stay where the caller
    /// built them instead of being moved (copied) into this call.
    pub(super) fn apply(&mut self, map: &mut HeaderMap) {
        // Which known headers the map carries, which more than once, and which were set in
        // place (on their first line): one bit each.
        let (mut seen, mut repeated, mut placed) = (0u16, 0u16, 0u16);
        for (name, value) in map.iter_mut() {
            let Some(known) = Known::of(name.as_str().as_bytes()) else {
                continue;
            };
            let bit = known.bit();
            repeated |= seen & bit;
            seen |= bit;
            if self.sets & !placed & bit == 0 {
                continue;
            }
            if let Some(Some(new)) = self.values.get_mut(known as usize) {
                if !same(value, new) {
                    std::mem::swap(value, new);
                }
                placed |= bit;
            }
        }
        // What is left needs the name hashed: rare once a hop's headers are in place, so
        // only those headers are visited. A header set in place and repeated keeps its first
        // line (the new value) only; one set but absent is inserted; one removed and
        // present is removed.
        let mut left = (self.removes & seen) | (placed & repeated) | (self.sets & !placed);
        while left != 0 {
            let index = left.trailing_zeros() as usize;
            left &= left - 1;
            let Some(&known) = Known::ALL.get(index) else {
                continue;
            };
            let name = known.name();
            if placed & known.bit() != 0 {
                if let Some(value) = map.get(name).cloned() {
                    map.insert(name, value);
                }
            } else if self.sets & known.bit() != 0 {
                if let Some(value) = self.values.get_mut(index).and_then(Option::take) {
                    map.insert(name, value);
                }
            } else {
                map.remove(name);
            }
        }
    }
}

/// Whether two header values are the same bytes: first whether they are the very same
/// bytes (a forwarded `tracestate` is the received value, shared), then byte by byte.
fn same(a: &HeaderValue, b: &HeaderValue) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    std::ptr::eq(a, b) || a == b
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
