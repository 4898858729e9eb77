//! RFC 3339 date-times (what api_v3's `query.start_time_min` and friends take, parsed with
//! Go's `time.RFC3339Nano` in `cmd/query/app/apiv3/http_gateway.go`) to Unix nanoseconds.

/// `2024-01-15T10:30:00Z`, `2024-01-15T10:30:00.123456789+02:00`: nanoseconds since the
/// Unix epoch, or `None` when malformed or before 1970.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let year = number(text.get(0..4)?)?;
    let month = number(text.get(5..7)?)?;
    let day = number(text.get(8..10)?)?;
    let hour = number(text.get(11..13)?)?;
    let minute = number(text.get(14..16)?)?;
    let second = number(text.get(17..19)?)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let (nanos, zone) = fraction(text.get(19..)?)?;
    let offset = offset_seconds(zone)?;
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + (hour * 3_600 + minute * 60 + second) as i64 - offset;
    u64::try_from(seconds)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)
}

fn number(digits: &str) -> Option<u32> {
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// The optional `.digits` (1 to 9) as nanoseconds, and what follows.
fn fraction(text: &str) -> Option<(u64, &str)> {
    let Some(rest) = text.strip_prefix('.') else {
        return Some((0, text));
    };
    let len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if len == 0 || len > 9 {
        return None;
    }
    let (digits, zone) = rest.split_at(len);
    let value: u64 = digits.parse().ok()?;
    Some((value * 10u64.pow(9 - len as u32), zone))
}

/// `Z` or `±HH:MM`, as seconds east of UTC.
fn offset_seconds(zone: &str) -> Option<i64> {
    if zone == "Z" || zone == "z" {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if zone.len() != 6 || zone.as_bytes()[3] != b':' {
        return None;
    }
    let hours = number(zone.get(1..3)?)?;
    let minutes = number(zone.get(4..6)?)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 3_600 + minutes * 60))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<u64>)] = &[
            ("1970-01-01T00:00:00Z",                Some(0)),
            ("2023-11-14T22:13:20Z",                Some(1_700_000_000_000_000_000)),
            ("2023-11-14T22:13:20.123456789Z",      Some(1_700_000_000_123_456_789)),
            ("2023-11-14T22:13:20.5Z",              Some(1_700_000_000_500_000_000)),
            ("2023-11-15T00:13:20+02:00",           Some(1_700_000_000_000_000_000)),
            ("2023-11-14t21:13:20-01:00",           Some(1_700_000_000_000_000_000)),
            ("2024-02-29T00:00:00Z",                Some(1_709_164_800_000_000_000)),
            ("2023-02-29T00:00:00Z",                None),
            ("2023-11-14T22:13:20",                 None),
            ("2023-11-14 22:13:20Z",                None),
            ("2023-11-14T24:00:00Z",                None),
            ("2023-11-14T22:13:20.Z",               None),
            ("2023-11-14T22:13:20.1234567890Z",     None),
            ("2023-11-14T22:13:20+0200",            None),
            ("1969-12-31T23:59:59Z",                None),
            ("2023-1a-14T22:13:20Z",                None),
            ("",                                    None),
            ("２０２３-11-14T22:13:20Z",             None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rfc3339(text), *want, "input {text:?}");
        }
    }
}
