//! Trace and span ids at the API edge: hex text in, fixed-size byte arrays out.

/// Why a trace id given as text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TraceIdError {
    /// The text is empty.
    #[error("trace id is empty")]
    Empty,
    /// More than 32 hex digits.
    #[error("trace id has {len} characters, at most 32 allowed")]
    TooLong {
        /// Length of the text in bytes.
        len: usize,
    },
    /// A character that is not a hex digit.
    #[error("trace id is not hex")]
    NotHex,
    /// All digits are zero, which no valid trace has.
    #[error("trace id is all zeros")]
    Zero,
}

/// Parses a trace id from hex text: 32 digits, or fewer, left-padded with zeros as Jaeger
/// does for 64-bit ids. Upper- and lowercase digits are accepted.
pub fn parse_trace_id(text: &str) -> Result<[u8; 16], TraceIdError> {
    if text.is_empty() {
        return Err(TraceIdError::Empty);
    }
    if text.len() > 32 {
        return Err(TraceIdError::TooLong { len: text.len() });
    }
    let mut value: u128 = 0;
    for c in text.chars() {
        let digit = c.to_digit(16).ok_or(TraceIdError::NotHex)?;
        // At most 32 digits of 4 bits each, so the shift never overflows a u128.
        value = (value << 4) | u128::from(digit);
    }
    if value == 0 {
        return Err(TraceIdError::Zero);
    }
    Ok(value.to_be_bytes())
}

/// Lowercase hex of any id.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(hex32: &str) -> [u8; 16] {
        u128::from_str_radix(hex32, 16).unwrap().to_be_bytes()
    }

    #[rustfmt::skip]
    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<[u8; 16], TraceIdError>)] = &[
            ("4bf92f3577b34da6a3ce929d0e0e4736", Ok(id("4bf92f3577b34da6a3ce929d0e0e4736"))),
            ("4BF92F3577B34DA6A3CE929D0E0E4736", Ok(id("4bf92f3577b34da6a3ce929d0e0e4736"))),
            ("a3ce929d0e0e4736",                 Ok(id("0000000000000000a3ce929d0e0e4736"))),
            ("1",                                Ok(id("00000000000000000000000000000001"))),
            ("00000000000000000000000000000001", Ok(id("00000000000000000000000000000001"))),
            ("",                                 Err(TraceIdError::Empty)),
            ("0",                                Err(TraceIdError::Zero)),
            ("00000000000000000000000000000000", Err(TraceIdError::Zero)),
            ("4bf92f3577b34da6a3ce929d0e0e47360", Err(TraceIdError::TooLong { len: 33 })),
            ("4bf92f3577b34da6a3ce929d0e0e473g", Err(TraceIdError::NotHex)),
            ("+1",                               Err(TraceIdError::NotHex)),
            ("é",                                Err(TraceIdError::NotHex)),
            (" 1",                               Err(TraceIdError::NotHex)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_trace_id(text), *want, "input {text:?}");
        }
    }

    #[test]
    fn hex_round_trip() {
        let text = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(to_hex(&parse_trace_id(text).unwrap()), text);
        assert_eq!(to_hex(&[0x00, 0xff, 0x0a]), "00ff0a");
    }
}
