//! Headers an exporter adds to every request (auth tokens, tenant ids), validated once at
//! start. Their values are secrets: `Debug` shows the names only, the values are marked
//! sensitive (HTTP/2 never indexes them) and nothing logs them.

use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue};

/// Names the exporters set themselves (or that belong to the connection), refused as
/// configured headers; any `grpc-*` name is refused too.
const RESERVED: &[&str] = &[
    "connection",
    "content-encoding",
    "content-length",
    "content-type",
    "host",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Why a configured header was refused; the value is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Not a valid HTTP header (gRPC metadata) name.
    #[error("header name {0:?} is not a valid HTTP header name")]
    InvalidName(String),
    /// The value holds characters a header cannot carry (control characters, non-ASCII).
    #[error("the value of header `{0}` is not a valid HTTP header value (visible ASCII only)")]
    InvalidValue(String),
    /// A header the exporter sets itself.
    #[error("header `{0}` is set by the exporter itself and cannot be configured")]
    Reserved(String),
    /// The same name twice (names are case-insensitive).
    #[error("header `{0}` is given twice")]
    Duplicate(String),
}

/// Validated headers for every request of one exporter.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExportHeaders(HeaderMap);

impl fmt::Debug for ExportHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl ExportHeaders {
    /// Checks every `(name, value)` pair.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, HeaderError> {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            let parsed = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| HeaderError::InvalidName(name.to_owned()))?;
            let key = parsed.as_str();
            if RESERVED.contains(&key) || key.starts_with("grpc-") {
                return Err(HeaderError::Reserved(key.to_owned()));
            }
            let value = value.trim();
            // gRPC metadata is printable ASCII; `http` alone would also let bytes >= 0x80 by.
            let printable = value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            let mut value = HeaderValue::from_str(value)
                .ok()
                .filter(|_| printable)
                .ok_or_else(|| HeaderError::InvalidValue(key.to_owned()))?;
            value.set_sensitive(true);
            if map.contains_key(&parsed) {
                return Err(HeaderError::Duplicate(key.to_owned()));
            }
            map.insert(parsed, value);
        }
        Ok(Self(map))
    }

    /// Adds the headers to a request's.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.0 {
            headers.insert(name.clone(), value.clone());
        }
    }

    /// Whether none are configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_headers_are_applied_and_hidden_from_debug() {
        let headers =
            ExportHeaders::parse([("Authorization", "Bearer s3cret"), ("x-tenant", "a")]).unwrap();
        let mut map = HeaderMap::new();
        headers.apply(&mut map);
        assert_eq!(map["authorization"], "Bearer s3cret");
        assert!(map["authorization"].is_sensitive());
        assert_eq!(map["x-tenant"], "a");
        let debug = format!("{headers:?}");
        assert!(debug.contains("authorization"), "{debug}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[rustfmt::skip]
    #[test]
    fn refusals_name_the_header_not_the_value() {
        let cases: &[(&str, &str, HeaderError)] = &[
            ("bad name",     "v",          HeaderError::InvalidName("bad name".into())),
            ("",             "v",          HeaderError::InvalidName(String::new())),
            ("x-token",      "s3c\nret",   HeaderError::InvalidValue("x-token".into())),
            ("x-token",      "s3cr\u{e9}t", HeaderError::InvalidValue("x-token".into())),
            ("Content-Type", "text/plain", HeaderError::Reserved("content-type".into())),
            ("grpc-timeout", "1S",         HeaderError::Reserved("grpc-timeout".into())),
        ];
        for (name, value, want) in cases {
            let got = ExportHeaders::parse([(*name, *value)]).unwrap_err();
            assert_eq!(&got, want, "{name}");
            assert!(!got.to_string().contains("s3cr"), "{got}");
        }
        let twice = ExportHeaders::parse([("X-A", "1"), ("x-a", "2")]).unwrap_err();
        assert_eq!(twice, HeaderError::Duplicate("x-a".into()));
    }
}
