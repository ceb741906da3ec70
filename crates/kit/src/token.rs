//! User tokens: EdDSA (Ed25519) JWTs. Only the user service holds the signing secret
//! ([`TokenKeys`]) and issues both (also the access tokens the router's edge renewal asks it for).
//! Everyone that checks a token (the router on every request, the upload and search services on
//! their own HTTP routes) holds only the public key ([`TokenVerifier`], [`crate::keys`]), so it
//! cannot mint one.
//!
//! Access tokens (1 h) are verified locally, without calling the user service. Refresh tokens (7 d) name
//! their session (`sid`) and rotation (`jti`); only the user service accepts them, and it checks the
//! session on every refresh (rotation, reuse, revocation). No leeway: an expired token is expired.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::keys::KeyError;
use crate::memo::Memo;

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

/// Checks tokens with the issuer's public key.
#[derive(Clone)]
pub struct TokenVerifier {
    decoding: DecodingKey,
    /// Claims of tokens that verified, until their expiry: the router sees each user's access
    /// token on every request, and an EdDSA verification was a tenth of its CPU per request.
    verified: Arc<Memo<Claims>>,
}

/// Tokens whose claims [`TokenVerifier`] remembers.
const VERIFIED_CAPACITY: usize = 16_384;

impl TokenVerifier {
    /// From the written public key (config path `name`, for the message).
    pub fn new(name: &str, public: &str) -> Result<Self, KeyError> {
        Ok(Self::of(&crate::keys::verifying_key(name, public)?))
    }

    fn of(key: &ed25519_dalek::VerifyingKey) -> Self {
        Self {
            decoding: DecodingKey::from_ed_der(key.as_bytes()),
            verified: Arc::new(Memo::new(VERIFIED_CAPACITY)),
        }
    }

    /// The claims of a valid, unexpired token of `kind`.
    pub fn verify(&self, token: &str, kind: Kind) -> Result<Claims, TokenError> {
        // Valid while `exp` has not passed, as jsonwebtoken decides without leeway.
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let claims = match self.verified.get(token, now) {
            Some(claims) => claims,
            None => {
                let claims = self.decode(token)?;
                let until = u64::try_from(claims.exp).unwrap_or_default();
                self.verified.put(token, claims.clone(), until, now);
                claims
            }
        };
        if claims.kind != kind {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }

    fn decode(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

/// The issuer's signing key, its verifier and the token lifetimes.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    verifier: TokenVerifier,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

/// The PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410), the form the JWT signer reads.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    [PREFIX.as_slice(), seed].concat()
}

impl TokenKeys {
    /// The keys of the secret `key` (config path `auth.jwt_key`).
    pub fn new(
        key: &SecretString,
        access_ttl_secs: i64,
        refresh_ttl_secs: i64,
    ) -> Result<Self, KeyError> {
        let signing = crate::keys::signing_key("auth.jwt_key", key)?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(&pkcs8(&signing.to_bytes())),
            verifier: TokenVerifier::of(&signing.verifying_key()),
            access_ttl_secs,
            refresh_ttl_secs,
        })
    }

    /// The verifier of the tokens these keys issue.
    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    fn sign(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::EdDSA), claims, &self.encoding)
            .expect("an Ed25519 key from a seed signs any claims")
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
        self.verifier.verify(token, kind)
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
    fn a_remembered_token_still_expires_and_a_changed_one_is_checked_anew() {
        let k = keys("a");
        // Access tokens live an hour: this one has a second left.
        let pair = k.issue(42, 7, 9, now() - 3600 + 1);
        assert!(k.verify(&pair.access, Kind::Access).is_ok());
        let mut forged = pair.access.clone();
        let last = if forged.ends_with('A') { "B" } else { "A" };
        forged.replace_range(forged.len() - 1.., last);
        assert_eq!(k.verify(&forged, Kind::Access), Err(TokenError::Invalid));
        while now() <= exp_of(&pair.access) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(
            k.verify(&pair.access, Kind::Access),
            Err(TokenError::Expired),
            "the memo does not outlive the token"
        );
    }

    /// The `exp` claim of a token, read without verifying it.
    fn exp_of(token: &str) -> i64 {
        use base64::Engine;
        let claims = token.split('.').nth(1).unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap();
        serde_json::from_slice::<Claims>(&json).unwrap().exp
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

    #[test]
    fn the_public_key_verifies_and_cannot_be_used_to_sign() {
        let secret = SecretString::from("a".repeat(32));
        let k = keys("a");
        let public = crate::keys::public_of(&secret).unwrap();
        let verifier = TokenVerifier::new("auth.jwt_public_key", &public).unwrap();
        let pair = k.issue(42, 7, 9, now());
        assert_eq!(
            verifier.verify(&pair.access, Kind::Access).unwrap().sub,
            "42"
        );
        assert!(
            keys("b").verify(&pair.access, Kind::Access).is_err(),
            "another issuer"
        );
        // A token signed HS256 with the public key as the secret (algorithm confusion) is refused.
        let claims = verifier.verify(&pair.access, Kind::Access).unwrap();
        let confused = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(public.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            verifier.verify(&confused, Kind::Access),
            Err(TokenError::Invalid)
        );
        assert!(TokenVerifier::new("auth.jwt_public_key", "junk").is_err());
    }
}
