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
    // Keys seen so far, to catch a repeat: a fingerprint each (compared first, one word),
    // and where the key lies (compared in full only when fingerprints match).
    let mut prints = [0u64; MAX_MEMBERS];
    let mut keys = [(0u16, 0u16); MAX_MEMBERS];
    let mut count = 0;
    let mut ot = None;
    let mut at = 0;
    if line.len() > usize::from(u16::MAX) {
        return None;
    }
    loop {
        let mut key_end = grammar::key_end(line, at);
        let tenant_end = (line.get(key_end) == Some(&b'@')).then_some(key_end - at);
        if tenant_end.is_some() {
            key_end = grammar::key_end(line, key_end + 1);
        }
        if line.get(key_end) != Some(&b'=') {
            return None;
        }
        let key = line.get(at..key_end)?;
        let value_start = key_end + 1;
        let end = grammar::value_end(line, value_start);
        let value = line.get(value_start..end)?;
        if !valid_key_shape(key, tenant_end) || !valid_value_shape(value) {
            return None;
        }
        let print = fingerprint(key);
        let seen = prints.get(..count)?;
        if seen.contains(&print) {
            let same = |(&p, &(start, end)): (&u64, &(u16, u16))| {
                p == print && line.get(usize::from(start)..usize::from(end)) == Some(key)
            };
            if seen.iter().zip(&keys).any(same) {
                return None;
            }
        }
        // A 33rd member finds no slot.
        *prints.get_mut(count)? = print;
        *keys.get_mut(count)? = (u16::try_from(at).ok()?, u16::try_from(key_end).ok()?);
        count += 1;
        if key == b"ot" {
            ot = Some(Place {
                start: value_start,
                end,
            });
        }
        match line.get(end) {
            None => return Some(ot),
            // A comma must be followed by a member (no empty or trailing members).
            Some(b',') if end + 1 < line.len() => at = end + 1,
            Some(_) => return None,
        }
    }
}

/// A cheap fingerprint of a key: its length, first and last byte. Equal keys have equal
/// fingerprints; most different keys of one list do not.
fn fingerprint(key: &[u8]) -> u64 {
    let byte = |c: Option<&u8>| u64::from(c.copied().unwrap_or_default());
    (key.len() as u64) | (byte(key.first()) << 48) | (byte(key.last()) << 56)
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
    fn thirty_two_members_at_most() {
        let members = |n: usize| (0..n).map(|i| format!("k{i}=v")).collect::<Vec<_>>();
        assert!(canonical(members(32).join(",").as_bytes()).is_some());
        assert!(canonical(members(33).join(",").as_bytes()).is_none());
    }
}
