//! W3C `tracestate`: an ordered list of at most 32 `key=value` members, and the OpenTelemetry
//! `ot=` member whose `;`-separated sub-keys (`th`, `rv`) carry consistent-sampling state.

use std::fmt;

use crate::{Randomness, Threshold};

/// The W3C limit on members.
const MAX_MEMBERS: usize = 32;
/// The W3C limit on a member's value.
const MAX_VALUE: usize = 256;
/// The W3C propagation limit on the header value, commas included.
pub const PROPAGATION_LIMIT: usize = 512;
/// Members longer than this are the first removed when the header must be truncated.
const LARGE_MEMBER: usize = 128;
/// The OpenTelemetry vendor key.
const OT_KEY: &str = "ot";

/// A parsed `tracestate`: valid members only, in order, first occurrence of a key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceState {
    members: Vec<(String, String)>,
}

/// Whether `key` follows the W3C key grammar (simple key, or `tenant@system`).
fn valid_key(key: &str) -> bool {
    let simple = |s: &str, max: usize, first_digit_ok: bool| {
        let bytes = s.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= max
            && (bytes[0].is_ascii_lowercase() || (first_digit_ok && bytes[0].is_ascii_digit()))
            && bytes.iter().all(|&c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || matches!(c, b'_' | b'-' | b'*' | b'/')
            })
    };
    match key.split_once('@') {
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

impl TraceState {
    /// Parses every `tracestate` header line as one list (several lines are concatenated with
    /// `,`, as the spec requires). Empty list members and optional white space around members
    /// are tolerated. A list that breaks the grammar anywhere (a bad key or value, a repeated
    /// key, more than 32 members) is discarded whole, as the W3C test suite's strict level
    /// requires.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Self {
        Self::parse_strict(lines).unwrap_or_default()
    }

    fn parse_strict<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut members: Vec<(String, String)> = Vec::new();
        for member in lines.into_iter().flat_map(|line| line.split(',')) {
            let member = member.trim_matches([' ', '\t']);
            if member.is_empty() {
                continue;
            }
            let (key, value) = member.split_once('=')?;
            let fresh = !members.iter().any(|(k, _)| k == key);
            if !(valid_key(key) && valid_value(value) && fresh && members.len() < MAX_MEMBERS) {
                return None;
            }
            members.push((key.to_owned(), value.to_owned()));
        }
        Some(Self { members })
    }

    /// The header value to propagate: at most [`PROPAGATION_LIMIT`] characters. When the list
    /// is longer, members over 128 characters are removed first (rightmost first), then
    /// members from the right, as the W3C spec orders truncation.
    pub fn to_header_value(&self) -> String {
        let member_len = |(k, v): &(String, String)| k.len() + 1 + v.len();
        let mut keep: Vec<bool> = vec![true; self.members.len()];
        let mut total: usize = self.members.iter().map(member_len).sum::<usize>()
            + self.members.len().saturating_sub(1);
        let large = self
            .members
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, m)| member_len(m) > LARGE_MEMBER);
        let rest = self.members.iter().enumerate().rev();
        for (i, member) in large.chain(rest) {
            if total <= PROPAGATION_LIMIT {
                break;
            }
            if let Some(slot) = keep.get_mut(i).filter(|k| **k) {
                *slot = false;
                // The member and one comma leave the header.
                total = total.saturating_sub(member_len(member) + 1);
            }
        }
        let mut out = String::with_capacity(total.min(PROPAGATION_LIMIT));
        for ((k, v), _) in self.members.iter().zip(&keep).filter(|(_, keep)| **keep) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The value of member `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sub-key `name` of the OpenTelemetry `ot=` member, e.g. `th` or `rv`.
    pub fn ot_value(&self, name: &str) -> Option<&str> {
        self.get(OT_KEY)?
            .split(';')
            .filter_map(|kv| kv.split_once(':'))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The sampling threshold carried in `ot=th:`, if present and well formed.
    pub fn threshold(&self) -> Option<Threshold> {
        Threshold::parse_th(self.ot_value("th")?).ok()
    }

    /// The explicit randomness carried in `ot=rv:`, if present and well formed.
    pub fn randomness(&self) -> Option<Randomness> {
        Randomness::parse_rv(self.ot_value("rv")?).ok()
    }

    /// A copy with `ot=th` set to `threshold` (or removed when `None`), other `ot` sub-keys
    /// kept, and the `ot` member moved to the front as W3C requires of a modified member.
    ///
    /// The new `ot` value stays valid, or the next hop would discard the whole list: when
    /// adding `th` takes it past 256 characters, sub-keys are dropped from the right (`rv`
    /// last, `th` never), and a trailing space (which the next hop reads as white space
    /// around the member) is trimmed.
    pub fn with_threshold(&self, threshold: Option<Threshold>) -> Self {
        let th = threshold.map(|t| format!("th:{t}"));
        let mut parts: Vec<&str> = th.as_deref().into_iter().collect();
        if let Some(ot) = self.get(OT_KEY) {
            parts.extend(
                ot.split(';')
                    .filter(|kv| !kv.is_empty() && !kv.starts_with("th:")),
            );
        }
        let mut value = parts.join(";");
        while value.len() > MAX_VALUE && parts.len() > 1 {
            let drop = parts
                .iter()
                .rposition(|kv| !kv.starts_with("rv:"))
                .filter(|&i| i > 0)
                .unwrap_or(parts.len() - 1);
            parts.remove(drop);
            value = parts.join(";");
        }
        let value = value.trim_end_matches(' ');
        let mut members: Vec<(String, String)> = self
            .members
            .iter()
            .filter(|(k, _)| k != OT_KEY)
            .cloned()
            .collect();
        if !value.is_empty() {
            members.insert(0, (OT_KEY.to_owned(), value.to_owned()));
            members.truncate(MAX_MEMBERS);
        }
        Self { members }
    }
}

impl fmt::Display for TraceState {
    /// The header value: members joined with `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header lines, then the list we keep (empty: discarded whole). Rules from the W3C
    /// trace-context test suite (`test/test.py`, strict level 2).
    #[rustfmt::skip]
    const PARSE: &[(&[&str], &str)] = &[
        (&["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        (&["rojo=1", "congo=2"], "rojo=1,congo=2"),
        (&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"], "foo=1,bar=2,rojo=1,congo=2,baz=3"),
        // OWS around members, empty members and empty lines
        (&[" rojo=1 ,\t,congo=2\t"], "rojo=1,congo=2"),
        (&["foo=1 \t , \t bar=2, \t baz=3"], "foo=1,bar=2,baz=3"),
        (&["foo=1\t \t,\t \tbar=2,\t \tbaz=3"], "foo=1,bar=2,baz=3"),
        (&["\t foo=1 \t"], "foo=1"),
        (&["", "foo=1"], "foo=1"),
        (&["foo=1", ""], "foo=1"),
        (&[""], ""),
        (&["t@sys=1,1t@s=2"], "t@sys=1,1t@s=2"),
        // duplicated keys, in one line or across lines
        (&["foo=1,foo=1"], ""),
        (&["foo=1,foo=2"], ""),
        (&["foo=1", "foo=1"], ""),
        (&["foo=1", "foo=2"], ""),
        // illegal keys
        (&["foo =1"], ""),
        (&["FOO=1"], ""),
        (&["foo.bar=1"], ""),
        (&["Rojo=1,congo=2"], ""),
        (&["foo@=1,bar=2"], ""),
        (&["@foo=1,bar=2"], ""),
        (&["foo@@bar=1,bar=2"], ""),
        (&["foo@bar@baz=1,bar=2"], ""),
        // illegal values
        (&["foo=bar=baz"], ""),
        (&["foo=,bar=3"], ""),
        (&["novalue,x=1"], ""),
    ];

    #[test]
    fn parse_vectors() {
        for (lines, want) in PARSE {
            assert_eq!(
                TraceState::parse(lines.iter().copied()).to_string(),
                *want,
                "{lines:?}"
            );
        }
    }

    #[test]
    fn key_length_limits() {
        let z256 = format!("{}=1", "z".repeat(256));
        let z257 = format!("{}=1", "z".repeat(257));
        let tenant241 = format!("{}@{}=1", "t".repeat(241), "v".repeat(14));
        let tenant242 = format!("{}@v=1", "t".repeat(242));
        let system15 = format!("t@{}=1", "v".repeat(15));
        for (line, kept) in [
            (&z256, true),
            (&z257, false),
            (&tenant241, true),
            (&tenant242, false),
            (&system15, false),
        ] {
            let ts = TraceState::parse(["foo=1", line.as_str()]);
            assert_eq!(ts.get("foo").is_some(), kept, "{line}");
        }
    }

    #[test]
    fn all_allowed_characters() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
        let value: String = (0x20u8..=0x7e)
            .filter(|c| *c != b',' && *c != b'=')
            .map(char::from)
            .collect();
        for key in [key.to_owned(), format!("{key}@a-z0-9_-*/")] {
            let ts = TraceState::parse([format!("{key}={value}").as_str()]);
            assert_eq!(ts.get(&key), Some(value.as_str()));
        }
    }

    #[test]
    fn thirty_two_members_kept_thirty_three_discarded() {
        let members = |n: usize| {
            (1..=n)
                .map(|i| format!("bar{i:02}={i:02}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(TraceState::parse([members(32).as_str()]).members.len(), 32);
        assert!(TraceState::parse([members(33).as_str()]).is_empty());
    }

    #[test]
    fn header_value_fits_512_characters() {
        // 10 members of 60 characters: 609 characters, the last two must go.
        let small: Vec<String> = (0..10)
            .map(|i| format!("k{i}={}", "v".repeat(57)))
            .collect();
        let ts = TraceState::parse([small.join(",").as_str()]);
        let header = ts.to_header_value();
        assert_eq!(header, small[..8].join(","));
        assert!(header.len() <= PROPAGATION_LIMIT);

        // A large member goes before any small one, even when it is not last.
        let large = format!("big={}", "x".repeat(200));
        let mut members = vec![small[0].clone(), large, small[1].clone()];
        members.extend(small[2..7].iter().cloned());
        let ts = TraceState::parse([members.join(",").as_str()]);
        let header = ts.to_header_value();
        assert!(!header.contains("big="), "{header}");
        assert_eq!(header, small[..7].join(","));

        // Under the limit: unchanged.
        let ts = TraceState::parse(["a=1,b=2"]);
        assert_eq!(ts.to_header_value(), "a=1,b=2");
    }

    #[test]
    fn ot_threshold_set_moves_member_first_and_keeps_rv() {
        let ts = TraceState::parse(["vendor=x,ot=rv:80000000000000;th:c"]);
        assert_eq!(ts.threshold(), Threshold::parse_th("c").ok());
        assert_eq!(ts.randomness().map(Randomness::value), Some(1 << 55));
        let set = ts.with_threshold(Threshold::from_probability(0.5));
        assert_eq!(set.to_string(), "ot=th:8;rv:80000000000000,vendor=x");
        let erased = TraceState::parse(["ot=th:8,vendor=x"]).with_threshold(None);
        assert_eq!(erased.to_string(), "vendor=x");
    }

    /// Found by the `tracestate` fuzz target: `with_threshold` must leave a list the next
    /// hop reads back unchanged.
    #[test]
    fn ot_threshold_set_keeps_the_member_valid() {
        let th = Threshold::from_probability(0.25);
        let round_trips = |ts: &TraceState| TraceState::parse([ts.to_string().as_str()]) == *ts;

        // A sub-key ending in a space, left last once th is removed.
        let spaced = TraceState::parse(["ot=a ;th:c,vendor=x"]);
        let erased = spaced.with_threshold(None);
        assert_eq!(erased.to_string(), "ot=a,vendor=x");
        assert!(round_trips(&erased));
        assert!(round_trips(&spaced.with_threshold(th)));
        let only_space = TraceState::parse(["ot= ;th:c"]).with_threshold(None);
        assert!(only_space.is_empty(), "{only_space}");

        // A 256-character ot value: adding th drops sub-keys from the right, keeping rv.
        let filler = format!("x:{}", "y".repeat(232));
        let full = TraceState::parse([format!("ot=rv:80000000000000;z:1;{filler}").as_str()]);
        assert_eq!(full.get("ot").map(str::len), Some(MAX_VALUE));
        let set = full.with_threshold(th);
        assert_eq!(set.to_string(), "ot=th:c;rv:80000000000000;z:1");
        assert!(round_trips(&set));
        assert_eq!(set.threshold(), th);
        assert_eq!(set.randomness().map(Randomness::value), Some(1 << 55));
    }
}
