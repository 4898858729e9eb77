//! `x-request-id`: kept when the caller sent one, created (UUID v4 text) when absent, so every
//! hop of a request can be correlated the way Envoy does.

use http::{HeaderMap, HeaderValue};
use rand::Rng;

const X_REQUEST_ID: &str = "x-request-id";

/// Returns the request's id, inserting a fresh one into `headers` when there is none.
pub(super) fn ensure(headers: &mut HeaderMap) -> String {
    if let Some(id) = headers.get(X_REQUEST_ID).and_then(|v| v.to_str().ok()) {
        return id.to_owned();
    }
    let id = new_uuid_v4(&mut rand::rng());
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID, value);
    }
    id
}

fn new_uuid_v4<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_existing_and_creates_missing() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("abc"));
        assert_eq!(ensure(&mut headers), "abc");
        let mut empty = HeaderMap::new();
        let id = ensure(&mut empty);
        assert_eq!(empty[X_REQUEST_ID], id.as_str());
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
