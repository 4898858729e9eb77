//! `x-request-id`: kept when the caller sent one, created (UUID v4 text) when absent, so every
//! hop of a request can be correlated the way Envoy does.

use http::{HeaderMap, HeaderName, HeaderValue};
use rand::Rng;
use sampler::hex;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Returns the request's id, inserting a fresh one into `headers` when there is none (or the
/// one sent is not visible ASCII). The value is shared with the header map, not copied.
pub(crate) fn ensure(headers: &mut HeaderMap) -> HeaderValue {
    if let Some(id) = headers.get(&X_REQUEST_ID).filter(|v| v.to_str().is_ok()) {
        return id.clone();
    }
    let id = new_uuid_v4(&mut rand::rng());
    headers.insert(&X_REQUEST_ID, id.clone());
    id
}

/// The request's id, when it has a usable one.
pub(super) fn get(headers: &HeaderMap) -> Option<HeaderValue> {
    headers.get(&X_REQUEST_ID).cloned()
}

/// A random (version 4, RFC 9562) UUID in its 36-character text form.
fn new_uuid_v4<R: Rng + ?Sized>(rng: &mut R) -> HeaderValue {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut text = hex::Buf::<36>::new();
    text.push_hex(&b[..4])
        .push(b"-")
        .push_hex(&b[4..6])
        .push(b"-")
        .push_hex(&b[6..8])
        .push(b"-")
        .push_hex(&b[8..10])
        .push(b"-")
        .push_hex(&b[10..]);
    // Hex digits and dashes are always a valid header value; the fallback is never taken.
    HeaderValue::from_bytes(text.as_bytes())
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-4000-8000-000000000000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_existing_and_creates_missing() {
        let mut headers = HeaderMap::new();
        headers.insert(&X_REQUEST_ID, HeaderValue::from_static("abc"));
        assert_eq!(ensure(&mut headers), "abc");
        let mut empty = HeaderMap::new();
        let id = ensure(&mut empty);
        assert_eq!(empty[&X_REQUEST_ID], id);
        let id = id.to_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn uuid_layout_is_8_4_4_4_12_lowercase_hex() {
        let mut rng = rand::rng();
        for _ in 0..100 {
            let id = new_uuid_v4(&mut rng);
            let id = id.to_str().unwrap();
            let groups: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
            assert!(
                id.bytes()
                    .all(|c| c == b'-' || sampler::hex::value(c).is_some())
            );
            assert!(
                matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'),
                "{id}"
            );
        }
    }
}
