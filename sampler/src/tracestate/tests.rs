//! `tracestate` parsing, truncation and `ot=th` updates against the W3C rules.

use super::grammar::MAX_VALUE;
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
    // a repeated key keeps its first member, in one line or across lines; the list stays
    (&["rojo=a,congo=b,rojo=a"], "rojo=a,congo=b"),
    (&["rojo=a,congo=b,rojo=c"], "rojo=a,congo=b"),
    (&["acme@vendor=x", "congo=y,acme@vendor=z"], "acme@vendor=x,congo=y"),
    (&["ot=th:8", "ot=th:c;rv:01", "ot=th:8"], "ot=th:8"),
    // ...but a repeat never excuses a bad member elsewhere
    (&["rojo=a,rojo=b,Congo=c"], ""),
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
fn one_line_with_a_repeated_key_is_rewritten_not_forwarded_as_received() {
    let line = HeaderValue::from_static("congo=1,rojo=2,congo=3");
    let ts = TraceState::from_header_values([&line]);
    assert_eq!(ts.to_string(), "congo=1,rojo=2");
    assert_eq!(ts.get("congo"), Some("1"));
    assert_eq!(ts.len(), 2);
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
    assert_eq!(TraceState::parse([members(32).as_str()]).len(), 32);
    assert!(TraceState::parse([members(33).as_str()]).is_empty());
    // A repeat is not a 33rd member: it is dropped, not counted.
    let with_repeat = format!("{},bar07=again", members(32));
    assert_eq!(TraceState::parse([with_repeat.as_str()]).len(), 32);
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

#[test]
fn header_values_read_like_lines() {
    let value = |s: &str| HeaderValue::from_str(s).unwrap();
    for lines in PARSE.iter().map(|(lines, _)| *lines) {
        let values: Vec<HeaderValue> = lines.iter().map(|l| value(l)).collect();
        assert_eq!(
            TraceState::from_header_values(&values),
            TraceState::parse(lines.iter().copied()),
            "{lines:?}"
        );
    }
    // A line that is not visible ASCII is skipped, as `HeaderValue::to_str` rejects it.
    let odd = HeaderValue::from_bytes(b"caf\xc3\xa9=1").unwrap();
    let read = TraceState::from_header_values([&odd, &value("a=1")]);
    assert_eq!(read.to_string(), "a=1");
}

#[test]
fn canonical_list_is_shared_and_forwarded_unchanged() {
    let received = HeaderValue::from_static("ot=th:8;rv:d4a7f3c2b1e0f9,rojo=00f067aa0ba902b7");
    let ts = TraceState::from_header_values([&received]);
    assert_eq!(ts.header_value().as_ref(), Some(&received));
    // Same th, ot already first: nothing to rewrite.
    let same = ts.with_threshold(Threshold::parse_th("8").ok());
    assert_eq!(same, ts);
    assert_eq!(same.header_value().as_ref(), Some(&received));
    // A new th rewrites only the ot member.
    let changed = ts.with_threshold(Threshold::parse_th("c").ok());
    assert_eq!(
        changed.to_string(),
        "ot=th:c;rv:d4a7f3c2b1e0f9,rojo=00f067aa0ba902b7"
    );
    // No ot and no th: unchanged; ot not first: moved first.
    let plain = TraceState::parse(["a=1,b=2"]);
    assert_eq!(plain.with_threshold(None), plain);
    let later = TraceState::parse(["a=1,ot=th:8"]);
    assert_eq!(
        later
            .with_threshold(Threshold::parse_th("8").ok())
            .to_string(),
        "ot=th:8,a=1"
    );
}

#[test]
fn ot_inserted_into_a_full_list_drops_the_last_member() {
    let full: Vec<String> = (0..32).map(|i| format!("k{i}=v")).collect();
    let ts = TraceState::parse([full.join(",").as_str()]);
    let set = ts.with_threshold(Some(Threshold::ALWAYS));
    assert_eq!(set.len(), 32);
    assert!(set.to_string().starts_with("ot=th:0,k0=v,"));
    assert!(!set.to_string().contains("k31="));
    assert_eq!(
        TraceState::default().with_threshold(None),
        TraceState::default()
    );
    assert_eq!(TraceState::default().len(), 0);
}

mod fast_path {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The one-pass reading of a single line gives exactly what the general parser
        /// gives (the same list, the same `ot` member), on lines near the grammar's edges.
        #[test]
        fn one_line_reads_like_the_general_parser(
            line in "([a-z0-9@_*/ A\t-]{0,5}=[ -~\t]{0,7}(,| ,|,\t|,,)?){0,6}"
        ) {
            let Ok(value) = HeaderValue::from_str(&line) else {
                return Ok(());
            };
            let fast = TraceState::from_header_values([&value]);
            let general = TraceState::parse([line.as_str()]);
            prop_assert_eq!(&fast, &general);
            prop_assert_eq!(&TraceState::from_header_value(&value), &general);
            prop_assert_eq!(fast.get("ot"), general.members().find_map(|m| m.strip_prefix("ot=")));
        }

        #[test]
        fn ot_lines_read_like_the_general_parser(
            members in proptest::collection::vec("(ot|a|b@c|0x@y)=(th:[0-9a-f]{1,3}|rv:[0-9a-f]{13,14}|th:|[ -~]{1,4})(;th:8|;rv:[0-9a-f]{14}|;x:1)?", 0..5)
        ) {
            let line = members.join(",");
            let Ok(value) = HeaderValue::from_str(&line) else {
                return Ok(());
            };
            let fast = TraceState::from_header_values([&value]);
            prop_assert_eq!(&fast, &TraceState::parse([line.as_str()]));
            prop_assert_eq!(fast.threshold(), TraceState::parse([line.as_str()]).threshold());
            // Read once with the list, as the sub-key lookup reads them.
            let th = fast.ot_value("th").and_then(|v| Threshold::parse_th(v).ok());
            let rv = fast.ot_value("rv").and_then(|v| Randomness::parse_rv(v).ok());
            prop_assert_eq!(fast.threshold(), th);
            prop_assert_eq!(fast.randomness(), rv);
        }
    }
}
