//! The W3C `tracestate` list grammar: member keys and values, and the rules a whole list must
//! keep (at most 32 members; a repeated key keeps its first member). Characters are
//! classified with one table lookup each.

use crate::swar::{HIGH, LANES, has_zero};
use crate::text;

/// The W3C limit on members.
pub(super) const MAX_MEMBERS: usize = 32;
/// The W3C limit on a member's value.
pub(super) const MAX_VALUE: usize = 256;
/// The W3C limit on a simple key.
const MAX_KEY: usize = 256;
/// The W3C limits on the two parts of a `tenant@system` key.
const MAX_TENANT: usize = 241;
const MAX_SYSTEM: usize = 14;

/// `lcalpha`: may start any key.
const ALPHA: u8 = 1;
/// `DIGIT`: may start a tenant id.
const DIGIT: u8 = 2;
/// Any later key character: `lcalpha / DIGIT / "_" / "-" / "*" / "/"`.
const KEY: u8 = 4;
/// A value character: `%x20-2B / %x2D-3C / %x3E-7E` (printable ASCII but `,` and `=`).
const VALUE: u8 = 8;

/// The classes of every byte.
static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0x20;
    while c <= 0x7e {
        if c != b',' as usize && c != b'=' as usize {
            table[c] = VALUE;
        }
        c += 1;
    }
    let mut c = b'a';
    while c <= b'z' {
        table[c as usize] |= ALPHA | KEY;
        c += 1;
    }
    let mut c = b'0';
    while c <= b'9' {
        table[c as usize] |= DIGIT | KEY;
        c += 1;
    }
    table[b'_' as usize] |= KEY;
    table[b'-' as usize] |= KEY;
    table[b'*' as usize] |= KEY;
    table[b'/' as usize] |= KEY;
    table
};

/// Whether byte `c` is in class `class`.
fn is(c: u8, class: u8) -> bool {
    CLASSES[usize::from(c)] & class != 0
}

/// Where the run of bytes of `class` that starts at `from` ends (`bytes.len()` at most): the
/// byte-by-byte reference the faster scans are tested against.
#[cfg(test)]
fn run_end(bytes: &[u8], from: usize, class: u8) -> usize {
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        if !is(c, class) {
            break;
        }
        i += 1;
    }
    i
}

/// How many bytes at the start of `bytes` are of `class`. Walked with an iterator over the
/// slice: no bounds check per byte, as indexing from an offset would need.
fn run_len(bytes: &[u8], class: u8) -> usize {
    bytes
        .iter()
        .position(|&c| !is(c, class))
        .unwrap_or(bytes.len())
}

/// How many bytes at the start of `bytes` are key characters.
pub(super) fn key_len(bytes: &[u8]) -> usize {
    run_len(bytes, KEY)
}

/// Where the run of key characters that starts at `from` ends.
fn key_end(bytes: &[u8], from: usize) -> usize {
    from + key_len(bytes.get(from..).unwrap_or_default())
}

/// How many bytes at the start of `bytes` are value characters. Values are most of a list's
/// bytes, so they are scanned eight at a time; the last few bytes one by one.
pub(super) fn value_len(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let stops = value_stops(u64::from_le_bytes(*word));
        if stops != 0 {
            // The lowest flagged lane is the first byte that ends the run.
            return bytes.len() - rest.len() + (stops.trailing_zeros() / 8) as usize;
        }
        rest = tail;
    }
    bytes.len() - rest.len() + run_len(rest, VALUE)
}

/// Where the run of value characters that starts at `from` ends.
fn value_end(bytes: &[u8], from: usize) -> usize {
    from + value_len(bytes.get(from..).unwrap_or_default())
}

/// The high bit of each byte (lane) of `word`, read little-endian, that is not a value
/// character (`< 0x20`, `> 0x7e`, `,` or `=`): the "Bit Twiddling Hacks" tests hasless,
/// hasmore and haszero. A borrow or carry can also flag a lane above a flagged one, never
/// one below, so the lowest flagged lane is exact.
fn value_stops(word: u64) -> u64 {
    let below_space = word.wrapping_sub(LANES * 0x20) & !word & HIGH;
    let above_tilde = (word.wrapping_add(LANES) | word) & HIGH;
    let comma = has_zero(word ^ (LANES * u64::from(b',')));
    let equals = has_zero(word ^ (LANES * u64::from(b'=')));
    below_space | above_tilde | comma | equals
}

/// Whether `key` follows the W3C key grammar (simple key, or `tenant@system`), given that
/// `at` is the position of its one `@` if any and every other byte is a key character.
pub(super) fn valid_key_shape(key: &[u8], at: Option<usize>) -> bool {
    let starts = |part: &[u8], class: u8| part.first().is_some_and(|&c| is(c, class));
    match at {
        None => key.len() <= MAX_KEY && starts(key, ALPHA),
        Some(at) => {
            let (tenant, system) = (key.get(..at), key.get(at + 1..));
            tenant.is_some_and(|t| t.len() <= MAX_TENANT && starts(t, ALPHA | DIGIT))
                && system.is_some_and(|s| s.len() <= MAX_SYSTEM && starts(s, ALPHA))
        }
    }
}

/// Whether `value` (value characters only) has a valid length and does not end in a space.
pub(super) fn valid_value_shape(value: &[u8]) -> bool {
    !value.is_empty() && value.len() <= MAX_VALUE && value.last() != Some(&b' ')
}

/// Whether `key` follows the W3C key grammar (simple key, or `tenant@system`).
fn valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let run = key_end(bytes, 0);
    match bytes.get(run) {
        None => valid_key_shape(bytes, None),
        Some(b'@') => key_end(bytes, run + 1) == bytes.len() && valid_key_shape(bytes, Some(run)),
        Some(_) => false,
    }
}

/// Whether `value` follows the W3C value grammar: 1..=256 printable ASCII characters other
/// than `,` and `=`, not ending in a space.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    value_end(bytes, 0) == bytes.len() && valid_value_shape(bytes)
}

/// What to do with one member of a list being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// A valid member with a new key: kept.
    Keep,
    /// A valid member whose key an earlier member already has: dropped, the list stays. The
    /// W3C spec lets a receiver drop such repeats or pass them on; only a sender must not
    /// create them, and the first member is the one every lookup here reads.
    Repeat,
    /// A member that breaks the list: the whole list is discarded.
    Invalid,
}

/// The members of a list being read, checked one by one; keys are kept on the stack to
/// catch repeats.
pub(super) struct Checked<'a> {
    keys: [&'a str; MAX_MEMBERS],
    len: usize,
}

impl<'a> Checked<'a> {
    /// No members yet.
    pub(super) fn new() -> Self {
        Self {
            keys: [""; MAX_MEMBERS],
            len: 0,
        }
    }

    /// Checks one member (white space already trimmed, not empty): [`Verdict::Invalid`] for
    /// no `=`, a bad key or value, or a 33rd distinct key; [`Verdict::Repeat`] for a valid
    /// member whose key was seen before.
    pub(super) fn accept(&mut self, member: &'a str) -> Verdict {
        let Some((key, value)) = text::split_once(member, b'=') else {
            return Verdict::Invalid;
        };
        if !valid_key(key) || !valid_value(value) {
            return Verdict::Invalid;
        }
        if self.keys.iter().take(self.len).any(|k| *k == key) {
            return Verdict::Repeat;
        }
        match self.keys.get_mut(self.len) {
            Some(slot) => {
                *slot = key;
                self.len += 1;
                Verdict::Keep
            }
            None => Verdict::Invalid,
        }
    }
}

/// A list member with the optional white space around it removed.
pub(super) fn trim(member: &str) -> &str {
    text::trim_ows(member)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grammar as the spec writes it, one character at a time: the table must agree.
    #[test]
    fn classes_match_the_abnf() {
        for c in 0..=255u8 {
            let key = c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-*/".contains(&c);
            let value = (0x20..=0x7e).contains(&c) && c != b',' && c != b'=';
            assert_eq!(is(c, KEY), key, "{c}");
            assert_eq!(is(c, VALUE), value, "{c}");
            assert_eq!(is(c, ALPHA), c.is_ascii_lowercase(), "{c}");
            assert_eq!(is(c, DIGIT), c.is_ascii_digit(), "{c}");
        }
    }

    /// The word-at-a-time scan ends values exactly where the byte loop does.
    #[test]
    fn value_end_matches_the_byte_loop() {
        // Every byte at every place, alone and after another stop (a borrow or carry).
        for c in 0..=255u8 {
            for at in 0..20 {
                for before in [None, Some(0x00), Some(0xff), Some(b','), Some(0x1f)] {
                    let mut bytes = [b'v'; 20];
                    bytes[at] = c;
                    if let Some(b) = before.filter(|_| at > 0) {
                        bytes[at - 1] = b;
                    }
                    for from in [0, 1, 7] {
                        let want = run_end(&bytes, from, VALUE);
                        assert_eq!(value_end(&bytes, from), want, "{c} at {at} from {from}");
                    }
                }
            }
        }
        assert_eq!(value_end(b"", 0), 0);
        assert_eq!(value_end(b"abc", 5), 5);
    }

    #[rustfmt::skip]
    const KEYS: &[(&str, bool)] = &[
        ("a", true), ("a0_-*/", true), ("0a", false), ("_a", false), ("", false),
        ("A", false), ("a.b", false), ("a b", false),
        ("t@s", true), ("0t@s", true), ("t@0s", false), ("@s", false), ("t@", false),
        ("t@s@x", false), ("t@@s", false), ("_t@s", false),
    ];

    #[test]
    fn key_vectors() {
        for &(key, want) in KEYS {
            assert_eq!(valid_key(key), want, "{key:?}");
        }
    }
}
