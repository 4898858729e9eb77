//! Go durations (`time.ParseDuration`, what jaeger-query reads `minDuration` and
//! `maxDuration` with, `cmd/query/app/query_parser.go`) and the Jaeger UI's lookbacks.

/// Nanoseconds per unit, as Go names them (`µs` as U+00B5 or U+03BC).
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const DAY_NANOS: u64 = 24 * 3_600_000_000_000;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not of the form `1.5s`, `1m30s`, `100us`.
    #[error("invalid duration {0:?}")]
    Invalid(String),
    /// A number without a unit.
    #[error("missing unit in duration {0:?}")]
    MissingUnit(String),
    /// A unit Go does not know.
    #[error("unknown unit {unit:?} in duration {text:?}")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        text: String,
    },
    /// A negative duration, meaningless as a filter.
    #[error("negative duration {0:?}")]
    Negative(String),
    /// More than `u64::MAX` nanoseconds.
    #[error("duration {0:?} is too large")]
    Overflow(String),
}

/// Parses a Go duration into nanoseconds: a sequence of decimal numbers, each with an
/// optional fraction and a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), e.g. `1.2s`,
/// `1m30s`; `0` needs no unit. A leading `+` is allowed; negative durations are refused.
pub fn parse_go_duration(text: &str) -> Result<u64, DurationError> {
    let invalid = || DurationError::Invalid(text.to_owned());
    let rest = match text.strip_prefix('-') {
        Some(_) => return Err(DurationError::Negative(text.to_owned())),
        None => text.strip_prefix('+').unwrap_or(text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    let mut rest = rest;
    while !rest.is_empty() {
        let (whole, after) = split_digits(rest);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => split_digits(after),
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(text.to_owned()));
        }
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| DurationError::UnknownUnit {
                unit: unit.to_owned(),
                text: text.to_owned(),
            })?;
        let overflow = || DurationError::Overflow(text.to_owned());
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| overflow())?
        };
        total = whole
            .checked_mul(scale)
            .and_then(|nanos| nanos.checked_add(total))
            .ok_or_else(overflow)?;
        // Fraction digits beyond nanosecond precision of the largest unit change nothing.
        let fraction = &fraction[..fraction.len().min(18)];
        if !fraction.is_empty() {
            let digits: u128 = fraction.parse().map_err(|_| invalid())?;
            total += digits * scale / 10u128.pow(fraction.len() as u32);
        }
        if total > u128::from(u64::MAX) {
            return Err(overflow());
        }
        rest = after;
    }
    u64::try_from(total).map_err(|_| DurationError::Overflow(text.to_owned()))
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// A Jaeger UI lookback in nanoseconds: `custom` (use `start`/`end`) is `None`; otherwise
/// a whole number of days or weeks (`2d`, `1w`, as the UI's `lookbackToTimestamp` reads
/// them) or a Go duration (`1h`, `15m`).
pub fn parse_lookback(text: &str) -> Result<Option<u64>, DurationError> {
    if text == "custom" {
        return Ok(None);
    }
    let days = |count: &str, per: u64| -> Option<Result<u64, DurationError>> {
        let count: u64 = count.parse().ok()?;
        Some(
            count
                .checked_mul(per * DAY_NANOS)
                .ok_or_else(|| DurationError::Overflow(text.to_owned())),
        )
    };
    let calendar = match (text.strip_suffix('d'), text.strip_suffix('w')) {
        (Some(count), _) => days(count, 1),
        (_, Some(count)) => days(count, 7),
        _ => None,
    };
    match calendar {
        Some(result) => result.map(Some),
        None => parse_go_duration(text).map(Some),
    }
}

/// Formats nanoseconds as Go's `Duration.String` does (`1.5ms`, `1m30s`, `-2s`, `0s`), so
/// messages read like Jaeger's.
pub fn format_go_duration(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    if u == 0 {
        return "0s".to_owned();
    }
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", decimal(u, 1_000));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", decimal(u, 1_000_000));
    }
    let seconds = decimal(u % 60_000_000_000, 1_000_000_000);
    let minutes = u / 60_000_000_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// `value / unit` with the fraction's trailing zeros removed.
fn decimal(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;

    #[rustfmt::skip]
    #[test]
    fn parse_table() {
        let unknown = |unit: &str, text: &str| DurationError::UnknownUnit { unit: unit.into(), text: text.into() };
        let cases: &[(&str, Result<u64, DurationError>)] = &[
            ("1.2s",      Ok(1_200 * MS)),
            ("500ms",     Ok(500 * MS)),
            ("1m30s",     Ok(90 * S)),
            ("100us",     Ok(100_000)),
            ("1µs",       Ok(1_000)),
            ("1\u{3bc}s", Ok(1_000)),
            ("7ns",       Ok(7)),
            ("2h",        Ok(7_200 * S)),
            ("1h2m3.5s",  Ok(3_723_500 * MS)),
            (".5s",       Ok(500 * MS)),
            ("1.s",       Ok(S)),
            ("+3ms",      Ok(3 * MS)),
            ("0",         Ok(0)),
            ("0s",        Ok(0)),
            ("1.0000000001s", Ok(S)),
            ("",          Err(DurationError::Invalid("".into()))),
            ("abc",       Err(DurationError::Invalid("abc".into()))),
            (".s",        Err(DurationError::Invalid(".s".into()))),
            ("10",        Err(DurationError::MissingUnit("10".into()))),
            ("1s5",       Err(DurationError::MissingUnit("1s5".into()))),
            ("5 ms",      Err(unknown(" ms", "5 ms"))),
            ("3d",        Err(unknown("d", "3d"))),
            ("-1s",       Err(DurationError::Negative("-1s".into()))),
            ("99999999999h", Err(DurationError::Overflow("99999999999h".into()))),
        ];
        for (text, want) in cases {
            assert_eq!(parse_go_duration(text), *want, "input {text:?}");
        }
    }

    #[rustfmt::skip]
    #[test]
    fn lookback_table() {
        let hour = 3_600 * S;
        let cases: &[(&str, Result<Option<u64>, DurationError>)] = &[
            ("custom", Ok(None)),
            ("1h",     Ok(Some(hour))),
            ("15m",    Ok(Some(hour / 4))),
            ("2d",     Ok(Some(48 * hour))),
            ("1w",     Ok(Some(168 * hour))),
            ("24h",    Ok(Some(24 * hour))),
            ("xd",     Err(DurationError::Invalid("xd".into()))),
            ("1y",     Err(DurationError::UnknownUnit { unit: "y".into(), text: "1y".into() })),
            ("",       Err(DurationError::Invalid("".into()))),
        ];
        for (text, want) in cases {
            assert_eq!(parse_lookback(text), *want, "input {text:?}");
        }
    }

    #[rustfmt::skip]
    #[test]
    fn format_table() {
        let cases: &[(i64, &str)] = &[
            (0,                    "0s"),
            (999,                  "999ns"),
            (1_500,                "1.5µs"),
            (1_500_000,            "1.5ms"),
            (250_000_000,          "250ms"),
            (2_000_000_000,        "2s"),
            (90_000_000_000,       "1m30s"),
            (3_600_000_000_000,    "1h0m0s"),
            (3_723_500_000_000,    "1h2m3.5s"),
            (-2_000_000,           "-2ms"),
        ];
        for (nanos, want) in cases {
            assert_eq!(format_go_duration(*nanos), *want, "input {nanos}");
        }
    }
}
