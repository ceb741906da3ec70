//! Ed25519 keys from configuration: a process that signs holds a secret, every process that checks
//! holds only public keys.
//!
//! Two things are signed: the `x-clipfed-caller`/`x-clipfed-client` headers ([`crate::caller`]:
//! the router signs for users and visitors, the upload service for itself) and user tokens
//! ([`crate::token`]: the user service). A process that only checks them cannot mint them, so a
//! compromised service cannot act as a user anywhere else.
//!
//! A secret is any configured string of at least [`MIN_SECRET_LEN`] bytes (`openssl rand -base64
//! 48` makes one); its signing key is the Ed25519 key whose seed is the SHA-256 of the string. A
//! public key is written as the unpadded base64url of its 32 bytes; `clipfed keys public` prints
//! the one of a secret. The development secrets start with [`crate::config::DEV_KEY_PREFIX`], and
//! production refuses them and their public keys ([`refuse_dev_public`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// The router's development signing secret (`router.config.yaml`).
pub const DEV_ROUTER_SECRET: &str = "dev-only-router-signing-key-change-me-0123456789";
/// The upload service's development signing secret (`upload/config/default.toml`).
pub const DEV_UPLOAD_SECRET: &str = "dev-only-upload-signing-key-change-me-0123456789";
/// The user service's development token secret (`subgraphs/user/config/default.toml`).
pub const DEV_TOKEN_SECRET: &str = "dev-only-token-signing-key-change-me-0123456789";
/// The public key of [`DEV_ROUTER_SECRET`], as the services' default configuration writes it.
pub const DEV_ROUTER_PUBLIC: &str = "Wq8EWt9wLAS4QkACj_U52u66vBnU9jEHJxF1HLXjmJM";
/// The public key of [`DEV_UPLOAD_SECRET`].
pub const DEV_UPLOAD_PUBLIC: &str = "JofsruQvB8SoQaOkfSORaKeeao2ASpgXxzAX_DM0Zqc";
/// The public key of [`DEV_TOKEN_SECRET`].
pub const DEV_TOKEN_PUBLIC: &str = "iv6BIHH7I4ZvTZE9I-Q6CSKvAoua1lGUKen9RQCyonw";

/// A configured key that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// The signing key of a configured secret (`name` is its config path, for the message).
pub fn signing_key(name: &str, secret: &SecretString) -> Result<SigningKey, KeyError> {
    let bytes = secret.expose_secret().as_bytes();
    if bytes.len() < MIN_SECRET_LEN {
        return Err(KeyError(format!(
            "{name} must be at least {MIN_SECRET_LEN} bytes"
        )));
    }
    Ok(SigningKey::from_bytes(&Sha256::digest(bytes).into()))
}

/// The written form of `key`'s public half.
pub fn public_text(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())
}

/// A public key from its written form (`name` is its config path, for the message).
pub fn verifying_key(name: &str, text: &str) -> Result<VerifyingKey, KeyError> {
    let bad = || {
        KeyError(format!(
            "{name} is not an Ed25519 public key (43 base64url characters)"
        ))
    };
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| bad())?
        .try_into()
        .map_err(|_| bad())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| bad())
}

/// The written public key of a secret (`clipfed keys public`).
pub fn public_of(secret: &SecretString) -> Result<String, KeyError> {
    signing_key("the secret", secret).map(|key| public_text(&key))
}

/// In production, refuses a public key that belongs to a development secret.
pub fn refuse_dev_public(name: &str, text: &str) -> Result<(), KeyError> {
    let dev = [DEV_ROUTER_PUBLIC, DEV_UPLOAD_PUBLIC, DEV_TOKEN_PUBLIC];
    if dev.contains(&text.trim()) {
        let var = name.replace('.', "__").to_uppercase();
        return Err(KeyError(format!(
            "{name} is a development public key; set CLIPFED_{var}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_gives_one_key_and_its_public_half_reads_back() {
        let secret = SecretString::from("s".repeat(40));
        let a = signing_key("k", &secret).unwrap();
        let b = signing_key("k", &secret).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes(), "derivation is deterministic");
        let text = public_text(&a);
        assert_eq!(text.len(), 43);
        assert_eq!(verifying_key("k", &text).unwrap(), a.verifying_key());
        let other = signing_key("k", &SecretString::from("t".repeat(40))).unwrap();
        assert_ne!(public_text(&other), text);
    }

    #[test]
    fn short_secrets_and_malformed_public_keys_are_refused() {
        let err = signing_key("auth.signing_key", &SecretString::from("short".to_owned()));
        assert!(err.unwrap_err().0.contains("auth.signing_key"));
        for bad in ["", "AAAA", "not base64!", &"A".repeat(44)] {
            assert!(
                verifying_key("auth.callers.router", bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn production_refuses_development_public_keys_only() {
        let err = refuse_dev_public("auth.callers.router", DEV_ROUTER_PUBLIC).unwrap_err();
        assert!(err.0.contains("CLIPFED_AUTH__CALLERS__ROUTER"), "{err}");
        let real = public_text(&signing_key("k", &SecretString::from("r".repeat(48))).unwrap());
        assert!(refuse_dev_public("auth.callers.router", &real).is_ok());
    }

    /// The written development public keys are those of the development secrets.
    #[test]
    fn the_documented_development_public_keys_match_their_secrets() {
        let public = |s: &str| public_of(&SecretString::from(s.to_owned())).unwrap();
        assert_eq!(public(DEV_ROUTER_SECRET), DEV_ROUTER_PUBLIC);
        assert_eq!(public(DEV_UPLOAD_SECRET), DEV_UPLOAD_PUBLIC);
        assert_eq!(public(DEV_TOKEN_SECRET), DEV_TOKEN_PUBLIC);
    }
}
