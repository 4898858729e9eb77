//! The W3C `tracestate` list grammar: member keys and values, and the rules a whole list must
//! keep (at most 32 members; a repeated key keeps its first member).

use crate::text;

/// The W3C limit on members.
pub(super) const MAX_MEMBERS: usize = 32;
/// The W3C limit on a member's value.
pub(super) const MAX_VALUE: usize = 256;

/// Whether `key` follows the W3C key grammar (simple key, or `tenant@system`).
fn valid_key(key: &str) -> bool {
    let simple = |s: &str, max: usize, first_digit_ok: bool| {
        let bytes = s.as_bytes();
        bytes.first().is_some_and(|&first| {
            first.is_ascii_lowercase() || (first_digit_ok && first.is_ascii_digit())
        }) && bytes.len() <= max
            && bytes.iter().all(|&c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || matches!(c, b'_' | b'-' | b'*' | b'/')
            })
    };
    match text::split_once(key, b'@') {
        None => simple(key, 256, false),
        Some((tenant, system)) => simple(tenant, 241, true) && simple(system, 14, false),
    }
}

/// Whether `value` follows the W3C value grammar: 1..=256 printable ASCII characters other
/// than `,` and `=`, not ending in a space.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_VALUE
        && bytes.last() != Some(&b' ')
        && bytes
            .iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
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
