//! The OpenTelemetry `ot=` member: `;`-separated `key:value` sub-keys, of which `th` is the
//! one a sampler rewrites.

use super::grammar::MAX_VALUE;
use crate::{Randomness, Threshold, text};

/// The sampling sub-keys of an `ot` value, parsed: the first `th` and the first `rv`, each
/// `None` when absent or malformed; and whether rewriting the value would change it.
///
/// `th` and `rv` are kept as raw values, [`ABSENT`] for none (both are below 2^56): eight
/// bytes each instead of an option's sixteen, so a `SpanContext` is small enough to be moved
/// without a `memcpy` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sampling {
    th: u64,
    rv: u64,
    /// The value is `th:` in its canonical encoding, then kept sub-keys only: setting that
    /// same `th` rewrites nothing.
    same_with_th: bool,
    /// The value is kept sub-keys only: erasing `th` rewrites nothing.
    same_without_th: bool,
}

/// The raw value of an absent or malformed `th` or `rv`.
const ABSENT: u64 = u64::MAX;

impl Default for Sampling {
    fn default() -> Self {
        Self {
            th: ABSENT,
            rv: ABSENT,
            same_with_th: false,
            same_without_th: false,
        }
    }
}

impl Sampling {
    /// The first `th`, if it is well formed.
    pub(super) fn th(&self) -> Option<Threshold> {
        Threshold::from_value(self.th)
    }

    /// The first `rv`, if it is well formed.
    pub(super) fn rv(&self) -> Option<Randomness> {
        Randomness::from_value(self.rv)
    }

    /// Reads `th` and `rv` from the `ot` value `ot` in one pass over its sub-keys, and what
    /// [`unchanged`] would say, so a hop that keeps the list decides without rescanning it.
    pub(super) fn read(ot: &[u8]) -> Self {
        let (mut th, mut rv) = (None, None);
        let (mut first_kept, mut later_kept, mut first_th) = (false, true, false);
        // Sub-keys one by one, each classified by its first three bytes.
        let mut rest = Some(ot);
        let mut first = true;
        while let Some(part) = rest {
            let (kv, next) = match memchr::memchr(b';', part) {
                Some(end) => (part.get(..end).unwrap_or_default(), part.get(end + 1..)),
                None => (part, None),
            };
            rest = next;
            let (name, value) = kv.split_first_chunk::<3>().unzip();
            let is_th = name == Some(b"th:");
            // A sub-key a rewrite keeps as it is: not empty, not a `th`.
            let kept = !kv.is_empty() && !is_th;
            if first {
                (first_kept, first_th, first) = (kept, is_th, false);
            } else {
                later_kept &= kept;
            }
            if is_th {
                th = th.or(value);
            } else if name == Some(b"rv:") {
                rv = rv.or(value);
            }
        }
        let th_text = th;
        let th = th_text.and_then(|v| Threshold::parse_th_bytes(v).ok());
        // The first sub-key is the first `th`, and in the encoding a rewrite would write: a
        // `th` that parses is written back as it came unless it has trailing zeros (`0` alone
        // is the encoding of zero), which `Threshold::to_th` drops.
        let canonical_th = first_th
            && th.is_some()
            && th_text.is_some_and(|text| text == b"0" || text.last() != Some(&b'0'));
        let rv = rv.and_then(|v| Randomness::parse_rv_bytes(v).ok());
        Self {
            th: th.map_or(ABSENT, Threshold::value),
            rv: rv.map_or(ABSENT, Randomness::value),
            same_with_th: canonical_th && later_kept,
            same_without_th: first_kept && later_kept,
        }
    }

    /// Whether rewriting the value with `threshold` (`None`: erasing `th`) gives it back;
    /// [`unchanged`] over the text.
    pub(super) fn unchanged(&self, threshold: Option<Threshold>) -> bool {
        match threshold {
            Some(t) => self.same_with_th && self.th == t.value(),
            None => self.same_without_th,
        }
    }
}

/// The sub-keys a rewritten `ot` value keeps, in order: the new `th` (if any), then every
/// non-empty sub-key of the old value except its `th`.
fn parts<'a>(old: Option<&'a str>, th: Option<&'a str>) -> impl Iterator<Item = &'a str> {
    let kept = old
        .into_iter()
        .flat_map(|value| text::split(value, b';'))
        .filter(|kv| !kv.is_empty() && !kv.starts_with("th:"));
    th.into_iter().chain(kept)
}

/// The value of sub-key `name` in the `ot` value `ot` (the first such sub-key).
pub(super) fn sub_key<'a>(ot: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    // A sub-key's name ends at its first `:`, so a name with a `:` never matches.
    if name.contains(&b':') {
        return None;
    }
    ot.split(|&c| c == b';').find_map(|kv| {
        let (key, rest) = kv.split_at_checked(name.len())?;
        (key == name).then_some(())?;
        rest.strip_prefix(b":")
    })
}

/// Whether rewriting `old` with `th` gives `old` back (so the list needs no rebuild): `old`
/// is `th` followed by the kept sub-keys, each after a `;`, or (without `th`) the kept
/// sub-keys alone; kept sub-keys are never empty and never a `th`. The request path asks
/// [`Sampling::unchanged`], read once with the list; this is its reference.
#[cfg(test)]
fn unchanged(old: &[u8], th: Option<&[u8]>) -> bool {
    let kept = |rest: &[u8]| {
        rest.split(|&c| c == b';')
            .all(|kv| !kv.is_empty() && !kv.starts_with(b"th:"))
    };
    match th {
        Some(th) => match old.strip_prefix(th) {
            Some([]) => true,
            Some([b';', rest @ ..]) => kept(rest),
            _ => false,
        },
        None => kept(old),
    }
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

    proptest::proptest! {
        /// `unchanged` says exactly when `write_value` gives a valid old value back.
        #[test]
        fn unchanged_iff_rewrite_is_identical(
            old in "(th:[0-9a-f]{1,2}|rv:[0-9a-f]{2}|x:[ a-z]{0,2}|;|th:){0,5}",
            th in proptest::option::of("th:[0-9a-f]{1,2}"),
        ) {
            // A valid value never ends in a space (write_value trims one).
            proptest::prop_assume!(!old.ends_with(' '));
            let mut out = String::new();
            write_value(&mut out, Some(&old), th.as_deref());
            let same = unchanged(old.as_bytes(), th.as_deref().map(str::as_bytes));
            proptest::prop_assert_eq!(same, !old.is_empty() && out == old, "{:?} {:?}", old, th);
        }
    }

    proptest::proptest! {
        /// What `Sampling` reads once agrees with `unchanged` over the text.
        #[test]
        fn sampling_knows_when_a_rewrite_changes_nothing(
            old in "(th:[0-9a-f]{1,2}|th:8|th:80|rv:[0-9a-f]{2}|x:[ a-z]{0,2}|;|th:){1,5}",
            th in proptest::option::of(0u64..(1 << 56)),
            nibble in proptest::option::of(0u64..16),
        ) {
            // Thresholds near the ones in `old` (th:8, th:80, one or two digits) and random ones.
            let threshold = match (th, nibble) {
                (_, Some(n)) => Some(Threshold::parse_th(&format!("{n:x}")).unwrap()),
                (Some(t), None) => Some(Threshold::parse_th(&format!("{t:014x}")).unwrap()),
                (None, None) => None,
            };
            proptest::prop_assume!(!old.ends_with(' '));
            let text = threshold.map(|t| format!("th:{}", t.to_th().as_str()));
            let want = unchanged(old.as_bytes(), text.as_deref().map(str::as_bytes));
            let got = Sampling::read(old.as_bytes()).unchanged(threshold);
            proptest::prop_assert_eq!(got, want, "{:?} {:?}", old, text);
        }
    }

    proptest::proptest! {
        /// The `th` encoding check without formatting agrees with `Threshold::to_th`.
        #[test]
        fn canonical_th_check_matches_to_th(text in "[0-9a-f]{1,15}") {
            let th = Threshold::parse_th(&text);
            let want = th.is_ok_and(|t| t.to_th().as_str() == text);
            let read = Sampling::read(format!("th:{text};rv:1").as_bytes());
            proptest::prop_assert_eq!(read.th(), th.ok());
            proptest::prop_assert_eq!(th.is_ok_and(|t| read.unchanged(Some(t))), want);
        }
    }

    #[test]
    fn rewrite_vectors() {
        for &(old, th, want, same) in REWRITES {
            let mut out = String::from("x");
            write_value(&mut out, old, th);
            assert_eq!(&out[1..], want, "{old:?} {th:?}");
            if let Some(old) = old {
                let th_bytes = th.map(str::as_bytes);
                assert_eq!(unchanged(old.as_bytes(), th_bytes), same, "{old:?} {th:?}");
            }
        }
    }
}
