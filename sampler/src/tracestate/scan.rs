//! The fast path for the usual `tracestate`: one header line already in canonical form
//! (members joined by `,`, no white space, no empty members), checked in one pass over its
//! bytes with a table lookup per byte and no allocation. Anything else (several lines, white
//! space, an invalid or repeated member, a 33rd member) is left to the general parser, which
//! gives the definitive answer; so this pass only has to recognise, never to reject.

use super::grammar::{self, MAX_MEMBERS, valid_key_shape, valid_value_shape};

/// Where a member's value lies in the list: byte offsets `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Checks `line` in one pass: `Some(ot)` when it is a valid list in canonical form (`ot`:
/// where the value of the `ot` member lies, if there is one); `None` when the general parser
/// must decide.
pub(super) fn canonical(line: &[u8]) -> Option<Option<Place>> {
    // Keys seen so far, to catch a repeat: one bit per key fingerprint in a 64-bit set (no
    // array to clear per line); only when a key's bit is already set are the earlier keys
    // compared in full.
    let mut seen = 0u64;
    let mut count = 0;
    let mut ot = None;
    // The members are walked as the slice left after each, not by offsets into the line: no
    // bounds check where the slice patterns already say what is there.
    let mut rest = line;
    loop {
        let at = line.len() - rest.len();
        let mut key_len = grammar::key_len(rest);
        let tenant_end = (rest.get(key_len) == Some(&b'@')).then_some(key_len);
        if let Some(tenant) = tenant_end {
            key_len = tenant + 1 + grammar::key_len(rest.get(tenant + 1..)?);
        }
        let (key, after_key) = rest.split_at_checked(key_len)?;
        let [b'=', after_equals @ ..] = after_key else {
            return None;
        };
        let (value, after) = after_equals.split_at_checked(grammar::value_len(after_equals))?;
        if !valid_key_shape(key, tenant_end) || !valid_value_shape(value) {
            return None;
        }
        let bit = 1u64 << fingerprint(key);
        if seen & bit != 0 && has_key(line.get(..at)?, key) {
            return None;
        }
        seen |= bit;
        // A 33rd member is left to the general parser.
        count += 1;
        if count > MAX_MEMBERS {
            return None;
        }
        if key == b"ot" {
            let start = line.len() - after_equals.len();
            ot = Some(Place {
                start,
                end: start + value.len(),
            });
        }
        match after {
            [] => return Some(ot),
            // A comma must be followed by a member (no empty or trailing members).
            [b',', next @ ..] if !next.is_empty() => rest = next,
            _ => return None,
        }
    }
}

/// A cheap fingerprint of a key in `0..64`, from its length, first and last byte (mixed by
/// one multiply). Equal keys have equal fingerprints; most different keys of one list do not.
fn fingerprint(key: &[u8]) -> u32 {
    let byte = |c: Option<&u8>| u64::from(c.copied().unwrap_or_default());
    let mixed = (key.len() as u64) | (byte(key.first()) << 48) | (byte(key.last()) << 56);
    // The top six bits of the product depend on every input bit.
    (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as u32
}

/// Whether one of the members of `checked` (members already checked, each followed by a
/// `,`) has the key `key`: values hold no `=`, so a member has that key exactly when it
/// starts with `key=`.
fn has_key(checked: &[u8], key: &[u8]) -> bool {
    checked.split(|&c| c == b',').any(|member| {
        member
            .strip_prefix(key)
            .is_some_and(|rest| rest.first() == Some(&b'='))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`canonical`] answers, with the `ot` place as a pair.
    type Answer = Option<Option<(usize, usize)>>;

    #[rustfmt::skip]
    const LINES: &[(&str, Answer)] = &[
        ("a=1", Some(None)),
        ("ot=th:8", Some(Some((3, 7)))),
        ("a=1,ot=th:8;rv:1,b=x y", Some(Some((7, 16)))),
        ("t@s=1,0t@s=2", Some(None)),
        ("a= 1", Some(None)),
        // left to the general parser
        ("", None), ("a=1,", None), (",a=1", None), ("a=1,,b=2", None), (" a=1", None),
        ("a=1 ", None), ("a=1\t", None), ("a=1,a=2", None), ("a=", None), ("=1", None),
        ("A=1", None), ("a=b=c", None), ("0a=1", None), ("t@0s=1", None), ("t@s@x=1", None),
        ("a=caf\u{e9}", None), ("ot=th:8,ot=th:8", None),
        ("abcdefgh1=1,abcdefgh2=2,abcdefgh1=3", None), ("abcdefgh1=1,abcdefgh2=2", Some(None)),
    ];

    #[test]
    fn line_vectors() {
        for &(line, want) in LINES {
            let got = canonical(line.as_bytes()).map(|ot| ot.map(|p| (p.start, p.end)));
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn fingerprint_collisions_are_compared_in_full() {
        // 32 keys over 64 fingerprints share some; a repeat of each is still caught.
        let keys: Vec<String> = (0..32).map(|i| format!("k{i}x")).collect();
        let line = keys
            .iter()
            .map(|k| format!("{k}=v"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(canonical(line.as_bytes()), Some(None));
        for key in &keys[..31] {
            let repeated = keys[..31].iter().chain([key]).map(|k| format!("{k}=v"));
            let line = repeated.collect::<Vec<_>>().join(",");
            assert_eq!(canonical(line.as_bytes()), None, "{key}");
        }
        // A key that is a prefix of an earlier one, or the earlier one a prefix of it.
        assert_eq!(canonical(b"ab=1,a=2"), Some(None));
        assert_eq!(canonical(b"a=1,ab=2,a=3"), None);
    }

    #[test]
    fn thirty_two_members_at_most() {
        let members = |n: usize| (0..n).map(|i| format!("k{i}=v")).collect::<Vec<_>>();
        assert!(canonical(members(32).join(",").as_bytes()).is_some());
        assert!(canonical(members(33).join(",").as_bytes()).is_none());
    }
}
