//! Encryption at rest for MFA secrets: AES-256-GCM with a random 96-bit nonce per seal; the key is
//! SHA-256 of the configured secret (at least 32 bytes). Sealed form: nonce || ciphertext+tag.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::UserError;

const NONCE_LEN: usize = 12;

/// The configured MFA key is too short to be a key.
#[derive(Debug, thiserror::Error)]
#[error("the MFA encryption key must be at least 32 bytes")]
pub struct KeyTooShort;

/// Seals and opens small secrets.
#[derive(Clone)]
pub struct SecretBox(Aes256Gcm);

impl SecretBox {
    pub fn new(key: &SecretString) -> Result<Self, KeyTooShort> {
        let raw = key.expose_secret().as_bytes();
        if raw.len() < 32 {
            return Err(KeyTooShort);
        }
        let digest = Sha256::digest(raw);
        Ok(Self(
            Aes256Gcm::new_from_slice(digest.as_slice()).expect("SHA-256 output is an AES-256 key"),
        ))
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce = rand::random::<[u8; NONCE_LEN]>();
        let mut out = nonce.to_vec();
        out.extend(
            self.0
                .encrypt(&Nonce::from(nonce), plain)
                .expect("AES-GCM seals any small input"),
        );
        out
    }

    /// The plaintext; an error if the data was altered or sealed with another key.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, UserError> {
        if sealed.len() <= NONCE_LEN {
            return Err(UserError::CorruptSecret);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
        self.0
            .decrypt(&Nonce::from(nonce), body)
            .map_err(|_| UserError::CorruptSecret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(k: &str) -> SecretBox {
        SecretBox::new(&SecretString::from(k.repeat(32))).unwrap()
    }

    #[test]
    fn sealed_data_opens_with_the_same_key_only() {
        let sealed = sb("a").seal(b"totp secret");
        assert_eq!(sb("a").open(&sealed).unwrap(), b"totp secret");
        assert!(sb("b").open(&sealed).is_err());
    }

    #[test]
    fn ciphertext_hides_the_plaintext_and_differs_per_seal() {
        let (x, y) = (sb("a").seal(b"totp secret"), sb("a").seal(b"totp secret"));
        assert_ne!(x, y, "nonce reuse");
        assert!(!x.windows(11).any(|w| w == b"totp secret"));
    }

    #[test]
    fn tampering_is_detected() {
        let mut sealed = sb("a").seal(b"totp secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(sb("a").open(&sealed).is_err());
        assert!(sb("a").open(&[0; 5]).is_err());
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(SecretBox::new(&SecretString::from("short".to_owned())).is_err());
    }
}
