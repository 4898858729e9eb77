//! W3C `tracestate`: an ordered list of at most 32 `key=value` members, and the OpenTelemetry
//! `ot=` member whose `;`-separated sub-keys (`th`, `rv`) carry consistent-sampling state.

use std::fmt;

use crate::{Randomness, Threshold};

/// The W3C limit on members.
const MAX_MEMBERS: usize = 32;
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
        && bytes.len() <= 256
        && bytes.last() != Some(&b' ')
        && bytes
            .iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
}

impl TraceState {
    /// Parses every `tracestate` header line as one list (several lines are concatenated with
    /// `,`, as the spec requires). Invalid members are dropped; empty list members and
    /// optional white space are tolerated; members past 32 are dropped.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Self {
        let mut members: Vec<(String, String)> = Vec::new();
        for member in lines.into_iter().flat_map(|line| line.split(',')) {
            let member = member.trim_matches([' ', '\t']);
            let Some((key, value)) = member.split_once('=') else {
                continue;
            };
            if members.len() == MAX_MEMBERS {
                break;
            }
            if valid_key(key) && valid_value(value) && !members.iter().any(|(k, _)| k == key) {
                members.push((key.to_owned(), value.to_owned()));
            }
        }
        Self { members }
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
    pub fn with_threshold(&self, threshold: Option<Threshold>) -> Self {
        let mut parts: Vec<String> = Vec::new();
        if let Some(t) = threshold {
            parts.push(format!("th:{t}"));
        }
        if let Some(ot) = self.get(OT_KEY) {
            parts.extend(
                ot.split(';')
                    .filter(|kv| !kv.is_empty() && !kv.starts_with("th:"))
                    .map(str::to_owned),
            );
        }
        let mut members: Vec<(String, String)> = self
            .members
            .iter()
            .filter(|(k, _)| k != OT_KEY)
            .cloned()
            .collect();
        if !parts.is_empty() {
            members.insert(0, (OT_KEY.to_owned(), parts.join(";")));
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

    #[rustfmt::skip]
    const PARSE: &[(&[&str], &str)] = &[
        (&["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        (&["rojo=1", "congo=2"], "rojo=1,congo=2"),
        (&[" rojo=1 ,\t,congo=2\t"], "rojo=1,congo=2"),
        (&["Rojo=1,congo=2"], "congo=2"),
        (&["rojo=1,rojo=2"], "rojo=1"),
        (&["t@sys=1,1t@s=2,@s=3"], "t@sys=1,1t@s=2"),
        (&["a=b=c,d=e"], "d=e"),
        (&["novalue,x="], ""),
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
    fn at_most_32_members() {
        let line: Vec<String> = (0..40).map(|i| format!("k{i}=v")).collect();
        let ts = TraceState::parse([line.join(",").as_str()]);
        assert_eq!(ts.to_string().split(',').count(), 32);
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
}
