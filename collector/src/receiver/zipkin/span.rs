//! The Zipkin v2 span after parsing: ids fixed-size and checked, addresses typed, kind an
//! enum. Both wire formats (JSON and protobuf) parse into this, so the mapping to stored
//! spans exists once.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Zipkin span kind; absent means local or incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The client side of an RPC.
    Client,
    /// The server side of an RPC.
    Server,
    /// Sending a message to a broker.
    Producer,
    /// Receiving a message from a broker.
    Consumer,
}

/// A node in the service graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// Service name; `None` when absent or empty.
    pub service_name: Option<String>,
    /// IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
    /// Port; `None` when absent or zero.
    pub port: Option<u16>,
}

/// A timestamped event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Epoch microseconds.
    pub timestamp_us: u64,
    /// Usually a short code, e.g. `ws`.
    pub value: String,
}

/// One parsed Zipkin v2 span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipkinSpan {
    /// 128-bit trace id; 64-bit ids are left-padded with zeros.
    pub trace_id: [u8; 16],
    /// Span id.
    pub id: [u8; 8],
    /// Parent span id; `None` for a root.
    pub parent_id: Option<[u8; 8]>,
    /// Span kind.
    pub kind: Option<Kind>,
    /// Operation name.
    pub name: String,
    /// Start, epoch microseconds; zero when absent.
    pub timestamp_us: u64,
    /// Duration in microseconds; zero when absent.
    pub duration_us: u64,
    /// The host that recorded the span.
    pub local_endpoint: Option<Endpoint>,
    /// The other side of an RPC or messaging span.
    pub remote_endpoint: Option<Endpoint>,
    /// Events.
    pub annotations: Vec<Annotation>,
    /// Tags, in the order received.
    pub tags: Vec<(String, String)>,
    /// Debug (force-sampled) span.
    pub debug: bool,
    /// The span shares its id with the caller's client span.
    pub shared: bool,
}

/// Why a Zipkin span was refused: the field and what is wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Absent or empty where required.
    #[error("{field} is required")]
    Missing {
        /// Zipkin field name.
        field: &'static str,
    },
    /// Not lower/upper-case hex, or too long for the id.
    #[error("{field} must be at most {max_digits} hex digits")]
    NotHexId {
        /// Zipkin field name.
        field: &'static str,
        /// 32 for trace ids, 16 for span ids.
        max_digits: usize,
    },
    /// Bytes of the wrong length (protobuf).
    #[error("{field} must be {expected} bytes, got {got}")]
    IdLength {
        /// Zipkin field name.
        field: &'static str,
        /// Accepted lengths, e.g. `8 or 16`.
        expected: &'static str,
        /// Received length.
        got: usize,
    },
    /// All zeros.
    #[error("{field} must not be all zeros")]
    Zero {
        /// Zipkin field name.
        field: &'static str,
    },
    /// Not an IP address of the right family.
    #[error("{field} is not a valid address")]
    Address {
        /// Zipkin field name.
        field: &'static str,
    },
    /// Not one of CLIENT, SERVER, PRODUCER, CONSUMER.
    #[error("kind must be CLIENT, SERVER, PRODUCER or CONSUMER")]
    Kind,
    /// Port outside 0..=65535.
    #[error("{field} port must be between 0 and 65535")]
    Port {
        /// Zipkin field name.
        field: &'static str,
    },
}

/// A refused span with its position in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("span {index}: {error}")]
pub struct SpanError {
    /// Zero-based index of the span in the list.
    pub index: usize,
    /// What is wrong.
    pub error: FieldError,
}

/// Parses a hex id of at most `N` bytes, left-padding shorter ones (64-bit trace ids).
pub fn hex_id<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], FieldError> {
    let max_digits = N * 2;
    let not_hex = FieldError::NotHexId { field, max_digits };
    if text.is_empty() {
        return Err(FieldError::Missing { field });
    }
    if text.len() > max_digits {
        return Err(not_hex);
    }
    let mut out = [0u8; N];
    // Right-align the digits: index of the first output nibble the text fills.
    let start = max_digits - text.len();
    for (i, c) in text.chars().enumerate() {
        let digit = c.to_digit(16).ok_or(not_hex)?;
        let nibble = start + i;
        // `nibble < 2 * N` because `text.len() <= max_digits`; `get_mut` keeps it checked.
        let byte = out.get_mut(nibble / 2).ok_or(not_hex)?;
        let digit = u8::try_from(digit).map_err(|_| not_hex)?;
        *byte |= if nibble.is_multiple_of(2) {
            digit << 4
        } else {
            digit
        };
    }
    nonzero(field, out)
}

/// Checks that an id is not all zeros.
pub fn nonzero<const N: usize>(field: &'static str, id: [u8; N]) -> Result<[u8; N], FieldError> {
    if id == [0; N] {
        Err(FieldError::Zero { field })
    } else {
        Ok(id)
    }
}

/// A parent id where zero or equal to the span's own id means none, as Zipkin and the
/// OpenTelemetry Collector treat them.
pub fn parent(parent: Option<[u8; 8]>, id: [u8; 8]) -> Option<[u8; 8]> {
    parent.filter(|p| *p != [0; 8] && *p != id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    #[test]
    fn trace_id_table() {
        let cases: &[(&str, Result<u128, FieldError>)] = &[
            ("463ac35c9f6413ad48485a3953bb6124", Ok(0x463ac35c9f6413ad48485a3953bb6124)),
            ("48485a3953bb6124",                 Ok(0x48485a3953bb6124)),
            ("48485A3953BB6124",                 Ok(0x48485a3953bb6124)),
            ("abc",                              Ok(0xabc)),
            ("",                                 Err(FieldError::Missing { field: "traceId" })),
            ("0000000000000000",                 Err(FieldError::Zero { field: "traceId" })),
            ("463ac35c9f6413ad48485a3953bb61240", Err(FieldError::NotHexId { field: "traceId", max_digits: 32 })),
            ("48485a3953bb612g",                 Err(FieldError::NotHexId { field: "traceId", max_digits: 32 })),
            ("é",                                Err(FieldError::NotHexId { field: "traceId", max_digits: 32 })),
        ];
        for (text, want) in cases {
            let got = hex_id::<16>("traceId", text).map(u128::from_be_bytes);
            assert_eq!(got, *want, "{text:?}");
        }
    }

    #[test]
    fn span_ids_are_at_most_16_digits() {
        assert_eq!(
            hex_id::<8>("id", "352bff9a74ca9ad2"),
            Ok(0x352bff9a74ca9ad2u64.to_be_bytes())
        );
        assert_eq!(
            hex_id::<8>("id", "1352bff9a74ca9ad2"),
            Err(FieldError::NotHexId {
                field: "id",
                max_digits: 16
            })
        );
    }

    #[test]
    fn self_and_zero_parents_are_roots() {
        assert_eq!(parent(Some([1; 8]), [1; 8]), None);
        assert_eq!(parent(Some([0; 8]), [1; 8]), None);
        assert_eq!(parent(Some([2; 8]), [1; 8]), Some([2; 8]));
    }
}
