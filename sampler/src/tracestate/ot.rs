//! The OpenTelemetry `ot=` member: `;`-separated `key:value` sub-keys, of which `th` is the
//! one a sampler rewrites.

use super::grammar::MAX_VALUE;
use crate::text;

/// The sub-keys a rewritten `ot` value keeps, in order: the new `th` (if any), then every
/// non-empty sub-key of the old value except its `th`.
fn parts<'a>(old: Option<&'a str>, th: Option<&'a str>) -> impl Iterator<Item = &'a str> {
    let kept = old
        .into_iter()
        .flat_map(|value| text::split(value, b';'))
        .filter(|kv| !kv.is_empty() && !kv.starts_with("th:"));
    th.into_iter().chain(kept)
}

/// Whether rewriting `old` with `th` gives `old` back (so the list needs no rebuild).
pub(super) fn unchanged(old: &str, th: Option<&str>) -> bool {
    let mut rest = old;
    for (i, part) in parts(Some(old), th).enumerate() {
        if i > 0 {
            match rest.strip_prefix(';') {
                Some(after) => rest = after,
                None => return false,
            }
        }
        match rest.strip_prefix(part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty() && !old.is_empty()
}

/// Appends the rewritten `ot` value to `out`. It stays valid, or the next hop would discard
/// the whole list: past 256 characters, sub-keys are dropped from the right (`rv` last, the
/// first, `th`, never), and a trailing space (which the next hop reads as white space around
/// the member) is trimmed. Appends nothing when no sub-key is left.
pub(super) fn write_value(out: &mut String, old: Option<&str>, th: Option<&str>) {
    let start = out.len();
    for (i, part) in parts(old, th).enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(part);
    }
    if out.len() - start > MAX_VALUE {
        out.truncate(start);
        out.push_str(&fit(parts(old, th).collect()));
    }
    let kept = out.trim_end_matches(' ').len().max(start);
    out.truncate(kept);
}

/// `parts` joined with `;` after dropping sub-keys until the value fits in 256 characters.
fn fit(mut parts: Vec<&str>) -> String {
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
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Old value, new th, rewritten value, whether it is unchanged.
    #[rustfmt::skip]
    const REWRITES: &[(Option<&str>, Option<&str>, &str, bool)] = &[
        (None, Some("th:8"), "th:8", false),
        (None, None, "", false),
        (Some("th:8"), Some("th:8"), "th:8", true),
        (Some("th:8;rv:80000000000000"), Some("th:8"), "th:8;rv:80000000000000", true),
        (Some("rv:80000000000000;th:8"), Some("th:8"), "th:8;rv:80000000000000", false),
        (Some("th:c;rv:80000000000000"), Some("th:8"), "th:8;rv:80000000000000", false),
        (Some("th:8;;rv:1"), Some("th:8"), "th:8;rv:1", false),
        (Some("th:8;th:8"), Some("th:8"), "th:8", false),
        (Some("th:8"), Some("th:80"), "th:80", false),
        (Some("th:80"), Some("th:8"), "th:8", false),
        (Some("rv:1"), None, "rv:1", true),
        (Some("th:8;rv:1"), None, "rv:1", false),
        (Some("a ;th:c"), None, "a", false),
        (Some(" ;th:c"), None, "", false),
    ];

    #[test]
    fn rewrite_vectors() {
        for &(old, th, want, same) in REWRITES {
            let mut out = String::from("x");
            write_value(&mut out, old, th);
            assert_eq!(&out[1..], want, "{old:?} {th:?}");
            if let Some(old) = old {
                assert_eq!(unchanged(old, th), same, "{old:?} {th:?}");
            }
        }
    }
}
