//! TOTP multi-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s steps, as authenticator apps
//! expect). Codes are accepted one step early or late (clock skew) and at most once: the step a code
//! matched is recorded and any code for that step or an earlier one is refused afterwards.

use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::UserError;

/// Seconds per TOTP step.
pub const STEP_SECS: u64 = 30;
/// Issuer shown by authenticator apps.
pub const ISSUER: &str = "clipfed";
const SECRET_BYTES: usize = 20;

/// A TOTP shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaSecret(Vec<u8>);

impl std::fmt::Debug for MfaSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaSecret([REDACTED])")
    }
}

impl MfaSecret {
    /// 160 random bits (RFC 4226's recommended length).
    pub fn generate() -> Self {
        Self(rand::random::<[u8; SECRET_BYTES]>().to_vec())
    }

    /// The raw bytes (to encrypt at rest).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret as a client sends it back: base32, as shown next to the QR code.
    pub fn from_base32(raw: &str) -> Result<Self, UserError> {
        let bytes = Secret::Encoded(raw.trim().to_ascii_uppercase())
            .to_bytes()
            .map_err(|_| UserError::InvalidMfaSecret)?;
        if bytes.len() != SECRET_BYTES {
            return Err(UserError::InvalidMfaSecret);
        }
        Ok(Self(bytes))
    }

    pub fn base32(&self) -> String {
        Secret::Raw(self.0.clone()).to_encoded().to_string()
    }

    fn totp(&self, account: &str) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            6,
            1,
            STEP_SECS,
            self.0.clone(),
            Some(ISSUER.to_owned()),
            account.to_owned(),
        )
    }

    /// The `otpauth://totp/...` URI authenticator apps import.
    pub fn otpauth_uri(&self, account: &str) -> String {
        self.totp(account).get_url()
    }

    /// The URI as a PNG QR code: `data:image/png;base64,...`.
    pub fn qr_data_url(&self, account: &str) -> Result<String, UserError> {
        let png = self.totp(account).get_qr_base64().map_err(UserError::Qr)?;
        Ok(format!("data:image/png;base64,{png}"))
    }

    /// The step `code` is valid for at `now` (±1 step), refusing steps at or before `last_used`.
    pub fn verify(
        &self,
        code: &str,
        now_unix: u64,
        last_used: Option<u64>,
    ) -> Result<u64, UserError> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UserError::MfaCodeInvalid);
        }
        let totp = self.totp("");
        let current = now_unix / STEP_SECS;
        let matched = [current.saturating_sub(1), current, current + 1]
            .into_iter()
            .find(|step| totp.generate(step * STEP_SECS) == code)
            .ok_or(UserError::MfaCodeInvalid)?;
        if last_used.is_some_and(|used| matched <= used) {
            return Err(UserError::MfaCodeInvalid);
        }
        Ok(matched)
    }

    /// The code for `unix` time (tests and the CLI's demo user).
    pub fn code_at(&self, unix: u64) -> String {
        self.totp("").generate(unix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_750_000_000;

    #[test]
    fn the_current_code_verifies_and_names_its_step() {
        let s = MfaSecret::generate();
        assert_eq!(
            s.verify(&s.code_at(NOW), NOW, None).unwrap(),
            NOW / STEP_SECS
        );
    }

    #[test]
    fn one_step_of_skew_is_tolerated_two_are_not() {
        let s = MfaSecret::generate();
        assert!(s.verify(&s.code_at(NOW - STEP_SECS), NOW, None).is_ok());
        assert!(s.verify(&s.code_at(NOW + STEP_SECS), NOW, None).is_ok());
        let stale = s.code_at(NOW - 2 * STEP_SECS);
        // A stale code could coincide with a valid one by chance (1 in a million); skip that draw.
        if ![NOW - STEP_SECS, NOW, NOW + STEP_SECS]
            .iter()
            .any(|t| s.code_at(*t) == stale)
        {
            assert!(s.verify(&stale, NOW, None).is_err());
        }
    }

    #[test]
    fn a_code_is_not_accepted_twice() {
        let s = MfaSecret::generate();
        let code = s.code_at(NOW);
        let step = s.verify(&code, NOW, None).unwrap();
        assert!(s.verify(&code, NOW, Some(step)).is_err());
        assert!(
            s.verify(&s.code_at(NOW - STEP_SECS), NOW, Some(step))
                .is_err(),
            "earlier step after a later one"
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        let s = MfaSecret::generate();
        for bad in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
            assert!(s.verify(bad, NOW, None).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn secrets_round_trip_through_base32_and_never_print() {
        let s = MfaSecret::generate();
        assert_eq!(MfaSecret::from_base32(&s.base32()).unwrap(), s);
        assert_eq!(
            MfaSecret::from_base32(&s.base32().to_lowercase()).unwrap(),
            s
        );
        assert!(MfaSecret::from_base32("not base32!").is_err());
        assert!(MfaSecret::from_base32("AAAA").is_err(), "too short");
        assert!(!format!("{s:?}").contains(&s.base32()));
    }

    #[test]
    fn the_qr_code_is_a_png_data_url_of_the_otpauth_uri() {
        let s = MfaSecret::generate();
        assert!(
            s.otpauth_uri("fanone")
                .starts_with("otpauth://totp/clipfed:fanone?")
        );
        let url = s.qr_data_url("fanone").unwrap();
        let b64 = url
            .strip_prefix("data:image/png;base64,")
            .expect("data URL prefix");
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
