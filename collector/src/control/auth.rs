//! The admin token that guards the control API's writes: `Authorization: Bearer TOKEN`,
//! compared in constant time. Reads need no token.

use std::fmt;

use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::error::ControlError;
use crate::strategy::FileHash;

/// The configured admin token (`--admin-token` / `MESHTRACE_ADMIN_TOKEN`). Its `Debug` never
/// shows the secret.
#[derive(Clone)]
pub struct AdminToken {
    secret: Vec<u8>,
    id: String,
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminToken").field("id", &self.id).finish()
    }
}

impl AdminToken {
    /// Wraps `secret`; `None` for an empty one (no token configured).
    pub fn new(secret: &str) -> Option<Self> {
        if secret.is_empty() {
            return None;
        }
        // A short fingerprint names the token in audit logs without revealing it.
        let id = format!("token:{:08x}", FileHash::of(secret.as_bytes()).0 >> 32);
        Some(Self {
            secret: secret.as_bytes().to_vec(),
            id,
        })
    }

    /// The name of this token in audit logs (`token:` and 8 hex digits of its hash).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn matches(&self, presented: &[u8]) -> bool {
        constant_time_eq(&self.secret, presented)
    }
}

/// Who may write: `Ok(who)` for the audit log, or [`ControlError::Unauthorized`].
pub fn authorize(token: Option<&AdminToken>, headers: &HeaderMap) -> Result<String, ControlError> {
    let Some(token) = token else {
        return Ok("anonymous (no admin token configured)".to_owned());
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, credentials) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credentials.trim())
        });
    match presented {
        Some(presented) if token.matches(presented.as_bytes()) => Ok(token.id().to_owned()),
        _ => Err(ControlError::Unauthorized),
    }
}

/// Equality whose time depends only on the lengths, not on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_tokens_are_checked() {
        let token = AdminToken::new("s3cret").unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
        assert_eq!(
            authorize(Some(&token), &headers("Bearer s3cret")).unwrap(),
            token.id()
        );
        assert!(authorize(Some(&token), &headers("bearer  s3cret ")).is_ok());
        for bad in [
            "Bearer s3cre",
            "Bearer s3cret2",
            "Basic s3cret",
            "s3cret",
            "Bearer ",
        ] {
            assert!(authorize(Some(&token), &headers(bad)).is_err(), "{bad}");
        }
        assert!(authorize(Some(&token), &HeaderMap::new()).is_err());
        assert!(authorize(None, &HeaderMap::new()).is_ok());
        assert!(AdminToken::new("").is_none());
        assert!(constant_time_eq(b"", b""));
    }
}
