//! Splitting and trimming of trace header fields with plain byte loops. `str::split(char)`
//! goes through `memchr`, which costs more than it saves on fields this short (ids, list
//! members, `key=value`); the delimiters here are all ASCII, so every cut is a char boundary.

/// `text` split at every `sep` (an ASCII byte), as `str::split` would.
pub(crate) fn split(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match split_once(current, sep) {
            Some((field, after)) => {
                rest = Some(after);
                Some(field)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// `text` cut at its first `sep` (an ASCII byte), as `str::split_once` would.
pub(crate) fn split_once(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|c| c == sep)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text` without the spaces and tabs around it (the optional white space of list members).
pub(crate) fn trim_ows(text: &str) -> &str {
    let (start, end) = ows_bounds(text.as_bytes());
    text.get(start..end).unwrap_or_default()
}

/// [`trim_ows`] over bytes.
pub(crate) fn trim_ows_bytes(bytes: &[u8]) -> &[u8] {
    let (start, end) = ows_bounds(bytes);
    bytes.get(start..end).unwrap_or_default()
}

/// Where `bytes` without the spaces and tabs around it starts and ends.
fn ows_bounds(bytes: &[u8]) -> (usize, usize) {
    let ows = |c: &u8| *c == b' ' || *c == b'\t';
    let start = bytes.iter().position(|c| !ows(c)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|c| !ows(c)).map_or(start, |i| i + 1);
    (start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_the_str_methods() {
        let cases = [
            "",
            ",",
            "a",
            "a,b",
            ",a,,b,",
            "ot=th:8;rv:1",
            " \t a=1 \t",
            "\t",
            "é,ü",
            "a=b=c",
        ];
        for text in cases {
            for (sep, c) in [(b',', ','), (b'=', '='), (b';', ';')] {
                let ours: Vec<&str> = split(text, sep).collect();
                let std: Vec<&str> = text.split(c).collect();
                assert_eq!(ours, std, "{text:?} {c:?}");
                assert_eq!(split_once(text, sep), text.split_once(c), "{text:?} {c:?}");
            }
            assert_eq!(trim_ows(text), text.trim_matches([' ', '\t']), "{text:?}");
            assert_eq!(trim_ows_bytes(text.as_bytes()), trim_ows(text).as_bytes());
        }
    }
}
