//! Trace and span identifiers: fixed-size, never all zero, parsed only from lowercase hex.

use std::fmt;

use rand::Rng;

use crate::hex;

/// Why an id could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text has the wrong number of characters for this id.
    #[error("expected {expected} hex characters, got {got}")]
    Length {
        /// Characters the format requires.
        expected: usize,
        /// Characters received.
        got: usize,
    },
    /// A character is not a lowercase hex digit.
    #[error("not lowercase hex")]
    NotHex,
    /// Every byte is zero, which the W3C and B3 specs reserve as invalid.
    #[error("all-zero id is invalid")]
    AllZero,
}

/// Decodes exactly `out.len() * 2` lowercase hex characters into `out`.
fn decode_lower_hex(text: &[u8], out: &mut [u8]) -> Result<(), IdError> {
    if text.len() != out.len() * 2 {
        return Err(IdError::Length {
            expected: out.len() * 2,
            got: text.len(),
        });
    }
    if hex::decode_into(text, out) {
        Ok(())
    } else {
        Err(IdError::NotHex)
    }
}

/// Decodes 1..=`out.len() * 2` hex digits of either case into `out`, right-aligned (the
/// missing leading digits are zero), as Jaeger clients write ids without leading zeros.
fn decode_padded_hex(text: &[u8], out: &mut [u8]) -> Result<(), IdError> {
    let max = out.len() * 2;
    if text.is_empty() || text.len() > max {
        return Err(IdError::Length {
            expected: max,
            got: text.len(),
        });
    }
    out.fill(0);
    let skip = max - text.len();
    for (i, &c) in text.iter().enumerate() {
        let digit = hex::value(c.to_ascii_lowercase()).ok_or(IdError::NotHex)?;
        let pos = skip + i;
        if let Some(byte) = out.get_mut(pos / 2) {
            *byte |= if pos.is_multiple_of(2) {
                digit << 4
            } else {
                digit
            };
        }
    }
    Ok(())
}

/// A 128-bit trace id. Never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId([u8; 16]);

impl TraceId {
    /// Wraps raw bytes; `None` when all zero.
    pub fn from_bytes(bytes: [u8; 16]) -> Option<Self> {
        (bytes != [0; 16]).then_some(Self(bytes))
    }

    /// Parses 32 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<Self, IdError> {
        let mut bytes = [0; 16];
        decode_lower_hex(text.as_bytes(), &mut bytes)?;
        Self::from_bytes(bytes).ok_or(IdError::AllZero)
    }

    /// Parses a B3 trace id: 32 hex characters, or 16 left-padded with zeros to 128 bits.
    pub fn from_hex_64_or_128(text: &str) -> Result<Self, IdError> {
        if text.len() == 16 {
            let mut bytes = [0; 16];
            decode_lower_hex(text.as_bytes(), &mut bytes[8..])?;
            Self::from_bytes(bytes).ok_or(IdError::AllZero)
        } else {
            Self::from_hex(text)
        }
    }

    /// Parses 1..=32 hex digits of either case, left-padded with zeros (Jaeger `uber-trace-id`).
    pub fn from_hex_left_padded(text: &str) -> Result<Self, IdError> {
        let mut bytes = [0; 16];
        decode_padded_hex(text.as_bytes(), &mut bytes)?;
        Self::from_bytes(bytes).ok_or(IdError::AllZero)
    }

    /// A fresh random id whose low 56 bits are uniformly random, as W3C Level 2's random
    /// flag promises.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        loop {
            if let Some(id) = Self::from_bytes(rng.random()) {
                return id;
            }
        }
    }

    /// The raw bytes, big-endian as on the wire.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// The 32 lowercase hex characters, on the stack.
    pub fn to_hex(self) -> [u8; 32] {
        hex::encode(&self.0)
    }

    /// The low 56 bits (the last 7 bytes), the randomness the consistent-probability rule
    /// reads when `tracestate` carries no explicit `rv`.
    pub fn low_56_bits(self) -> u64 {
        let mut buf = [0u8; 8];
        buf[1..].copy_from_slice(&self.0[9..]);
        u64::from_be_bytes(buf)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(hex::as_str(&self.to_hex()))
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

/// A 64-bit span id. Never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId([u8; 8]);

impl SpanId {
    /// Wraps raw bytes; `None` when all zero.
    pub fn from_bytes(bytes: [u8; 8]) -> Option<Self> {
        (bytes != [0; 8]).then_some(Self(bytes))
    }

    /// Parses 16 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<Self, IdError> {
        let mut bytes = [0; 8];
        decode_lower_hex(text.as_bytes(), &mut bytes)?;
        Self::from_bytes(bytes).ok_or(IdError::AllZero)
    }

    /// Parses 1..=16 hex digits of either case, left-padded with zeros (Jaeger `uber-trace-id`).
    pub fn from_hex_left_padded(text: &str) -> Result<Self, IdError> {
        let mut bytes = [0; 8];
        decode_padded_hex(text.as_bytes(), &mut bytes)?;
        Self::from_bytes(bytes).ok_or(IdError::AllZero)
    }

    /// A fresh random id.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        loop {
            if let Some(id) = Self::from_bytes(rng.random()) {
                return id;
            }
        }
    }

    /// The raw bytes, big-endian as on the wire.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    /// The 16 lowercase hex characters, on the stack.
    pub fn to_hex(self) -> [u8; 16] {
        hex::encode(&self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(hex::as_str(&self.to_hex()))
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    const TRACE_IDS: &[(&str, Result<[u8; 2], IdError>)] = &[
        ("4bf92f3577b34da6a3ce929d0e0e4736", Ok([0x4b, 0x36])),
        ("4BF92F3577B34DA6A3CE929D0E0E4736", Err(IdError::NotHex)),
        ("00000000000000000000000000000000", Err(IdError::AllZero)),
        ("4bf92f3577b34da6a3ce929d0e0e473", Err(IdError::Length { expected: 32, got: 31 })),
        ("4bf92f3577b34da6a3ce929d0e0e473g", Err(IdError::NotHex)),
        ("", Err(IdError::Length { expected: 32, got: 0 })),
    ];

    #[test]
    fn trace_id_vectors() {
        for (text, want) in TRACE_IDS {
            let got = TraceId::from_hex(text).map(|id| [id.to_bytes()[0], id.to_bytes()[15]]);
            assert_eq!(&got, want, "{text}");
        }
    }

    #[test]
    fn round_trip_and_b3_64_bit_padding() {
        let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let short = TraceId::from_hex_64_or_128("a3ce929d0e0e4736").unwrap();
        assert_eq!(short.to_string(), "0000000000000000a3ce929d0e0e4736");
        assert_eq!(
            SpanId::from_hex("00f067aa0ba902b7").unwrap().to_string(),
            "00f067aa0ba902b7"
        );
        assert_eq!(SpanId::from_hex("0000000000000000"), Err(IdError::AllZero));
    }

    #[rustfmt::skip]
    const PADDED: &[(&str, Result<&str, IdError>)] = &[
        ("1", Ok("00000000000000000000000000000001")),
        ("A3CE929D0E0E4736", Ok("0000000000000000a3ce929d0e0e4736")),
        ("4bf92f3577b34da6a3ce929d0e0e4736", Ok("4bf92f3577b34da6a3ce929d0e0e4736")),
        ("abc", Ok("00000000000000000000000000000abc")),
        ("0", Err(IdError::AllZero)),
        ("", Err(IdError::Length { expected: 32, got: 0 })),
        ("14bf92f3577b34da6a3ce929d0e0e4736", Err(IdError::Length { expected: 32, got: 33 })),
        ("12g", Err(IdError::NotHex)),
    ];

    #[test]
    fn left_padded_vectors() {
        for (text, want) in PADDED {
            let got = TraceId::from_hex_left_padded(text).map(|id| id.to_string());
            assert_eq!(got, want.map(str::to_owned), "{text}");
        }
        assert_eq!(
            SpanId::from_hex_left_padded("abc").unwrap().to_string(),
            "0000000000000abc"
        );
        assert!(SpanId::from_hex_left_padded("00f067aa0ba902b71").is_err());
    }

    #[test]
    fn to_hex_matches_display() {
        let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(&id.to_hex(), b"4bf92f3577b34da6a3ce929d0e0e4736");
        let span = SpanId::from_hex("00f067aa0ba902b7").unwrap();
        assert_eq!(&span.to_hex(), b"00f067aa0ba902b7");
    }

    #[test]
    fn low_56_bits_are_the_last_seven_bytes() {
        let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(id.low_56_bits(), 0xce929d0e0e4736);
    }
}
