//! Allocation-free reads of a raw `tracestate` header value, for policies that run once per
//! buffered trace. [`crate::TraceState::parse`] builds an owned list and discards a list that
//! breaks the grammar anywhere; here we only look a member up, leniently: the first member
//! with the key wins, white space around members is ignored, malformed members are skipped.

use crate::{Randomness, Threshold};

/// The OpenTelemetry vendor key.
pub(crate) const OT_KEY: &str = "ot";

/// The value of the first member `key` in `raw`.
pub(crate) fn member<'a>(raw: &'a str, key: &str) -> Option<&'a str> {
    raw.split(',')
        .map(|m| m.trim_matches([' ', '\t']))
        .filter_map(|m| m.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Whether the `;`-separated sub-keys of an `ot` value include exactly `pair` (`th:8`).
pub(crate) fn ot_has_pair(ot_value: &str, pair: &str) -> bool {
    ot_value.split(';').any(|kv| kv == pair)
}

/// Sub-key `name` of the `ot` member (`th`, `rv`).
fn ot_value<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    member(raw, OT_KEY)?
        .split(';')
        .filter_map(|kv| kv.split_once(':'))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The well-formed `ot=th:` threshold in `raw`.
pub(crate) fn threshold(raw: &str) -> Option<Threshold> {
    Threshold::parse_th(ot_value(raw, "th")?).ok()
}

/// The well-formed `ot=rv:` randomness in `raw`.
pub(crate) fn randomness(raw: &str) -> Option<Randomness> {
    Randomness::parse_rv(ot_value(raw, "rv")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw header, key, expected member value.
    #[rustfmt::skip]
    const MEMBERS: &[(&str, &str, Option<&str>)] = &[
        ("", "ot", None),
        ("ot=th:8", "ot", Some("th:8")),
        ("a=1, ot=th:8;rv:00000000000001 ,b=2", "ot", Some("th:8;rv:00000000000001")),
        ("a=1,\tb=2", "b", Some("2")),
        ("a=1,a=2", "a", Some("1")),
        ("junk,a=1", "a", Some("1")),
        ("ab=1", "a", None),
    ];

    #[test]
    fn member_vectors() {
        for &(raw, key, want) in MEMBERS {
            assert_eq!(member(raw, key), want, "{raw:?} {key}");
        }
    }

    #[test]
    fn ot_values() {
        let raw = "x=y,ot=rv:80000000000000;th:c";
        assert_eq!(threshold(raw), Threshold::parse_th("c").ok());
        assert_eq!(randomness(raw).map(Randomness::value), Some(1 << 55));
        assert_eq!(threshold("ot=th:zz"), None);
        assert_eq!(randomness("ot=rv:8"), None);
        assert!(ot_has_pair("th:8;rv:00000000000001", "th:8"));
        assert!(!ot_has_pair("th:80", "th:8"));
    }
}
