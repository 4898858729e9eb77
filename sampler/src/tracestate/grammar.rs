//! The W3C `tracestate` list grammar: member keys and values, and the rules a whole list must
//! keep (no repeated key, at most 32 members).

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

    /// Accepts one member (white space already trimmed, not empty); `false` when it breaks
    /// the list: no `=`, a bad key or value, a repeated key, or a 33rd member.
    pub(super) fn accept(&mut self, member: &'a str) -> bool {
        let Some((key, value)) = text::split_once(member, b'=') else {
            return false;
        };
        let seen = self.keys.iter().take(self.len).any(|k| *k == key);
        if seen || !valid_key(key) || !valid_value(value) {
            return false;
        }
        match self.keys.get_mut(self.len) {
            Some(slot) => {
                *slot = key;
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

/// A list member with the optional white space around it removed.
pub(super) fn trim(member: &str) -> &str {
    text::trim_ows(member)
}
