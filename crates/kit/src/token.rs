//! User tokens: HS256 JWTs signed with the key shared by the user service and the router.
//!
//! The user service issues both; access tokens (1 h) are verified by the router on every request
//! with [`TokenKeys::verify`], locally, without calling the user service. Refresh tokens (7 d) name
//! their session (`sid`) and rotation (`jti`); only the user service accepts them, and it checks the
//! session on every refresh (rotation, reuse, revocation). No leeway: an expired token is expired.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Which of the two tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Access,
    Refresh,
}

/// The claims of both tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id (decimal string).
    pub sub: String,
    pub kind: Kind,
    /// The refresh session (decimal string).
    pub sid: String,
    /// The rotation id of a refresh token (decimal string); access tokens carry their own id.
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

/// A freshly issued pair.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

/// Signing keys and lifetimes.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(
        key: &SecretString,
        access_ttl_secs: i64,
        refresh_ttl_secs: i64,
    ) -> Result<Self, String> {
        let raw = key.expose_secret().as_bytes();
        if raw.len() < 32 {
            return Err("the JWT key must be at least 32 bytes".into());
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(raw),
            decoding: DecodingKey::from_secret(raw),
            access_ttl_secs,
            refresh_ttl_secs,
        })
    }

    fn sign(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signs any claims")
    }

    /// An access and a refresh token for `user_id` in session `sid`, the refresh one with rotation `jti`.
    pub fn issue(&self, user_id: i64, sid: i64, jti: i64, now_unix: i64) -> TokenPair {
        let claims = |kind, ttl, jti: i64| Claims {
            sub: user_id.to_string(),
            kind,
            sid: sid.to_string(),
            jti: jti.to_string(),
            iat: now_unix,
            exp: now_unix + ttl,
        };
        TokenPair {
            access: self.sign(&claims(
                Kind::Access,
                self.access_ttl_secs,
                crate::id::next_id(),
            )),
            refresh: self.sign(&claims(Kind::Refresh, self.refresh_ttl_secs, jti)),
        }
    }

    /// A fresh access token for `user_id` in session `sid` (edge renewal: the refresh token stays).
    pub fn issue_access(&self, user_id: i64, sid: i64, now_unix: i64) -> String {
        self.sign(&Claims {
            sub: user_id.to_string(),
            kind: Kind::Access,
            sid: sid.to_string(),
            jti: crate::id::next_id().to_string(),
            iat: now_unix,
            exp: now_unix + self.access_ttl_secs,
        })
    }

    /// The claims of a valid, unexpired token of `kind`.
    pub fn verify(&self, token: &str, kind: Kind) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.kind != kind {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &str) -> TokenKeys {
        TokenKeys::new(&SecretString::from(k.repeat(32)), 3600, 7 * 24 * 3600).unwrap()
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    #[test]
    fn issued_tokens_verify_as_their_own_kind_only() {
        let k = keys("a");
        let pair = k.issue(42, 7, 9, now());
        let access = k.verify(&pair.access, Kind::Access).unwrap();
        assert_eq!((access.sub.as_str(), access.sid.as_str()), ("42", "7"));
        let refresh = k.verify(&pair.refresh, Kind::Refresh).unwrap();
        assert_eq!(refresh.jti, "9");
        assert_eq!(
            k.verify(&pair.access, Kind::Refresh),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            k.verify(&pair.refresh, Kind::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn expired_tokens_are_told_apart_from_invalid_ones() {
        let k = keys("a");
        let old = k.issue(42, 7, 9, now() - 3 * 3600);
        assert_eq!(
            k.verify(&old.access, Kind::Access),
            Err(TokenError::Expired)
        );
        assert!(
            k.verify(&old.refresh, Kind::Refresh).is_ok(),
            "refresh outlives access"
        );
        assert_eq!(
            keys("b").verify(&k.issue(1, 1, 1, now()).access, Kind::Access),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            k.verify("not.a.jwt", Kind::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(TokenKeys::new(&SecretString::from("short".to_owned()), 1, 1).is_err());
    }
}
