//! Passwords: 8 to 128 characters with at least one letter and one digit; hashed with argon2id.
//!
//! [`Password`] never prints its contents. The argon2 cost is configuration (`[password]` in the
//! config); the defaults are justified in docs/performance.md with the login benchmark.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::UserError;

/// Fewest characters.
pub const MIN_CHARS: usize = 8;
/// Most characters (argon2 accepts more; a bound keeps hashing cost independent of input size).
pub const MAX_CHARS: usize = 128;

/// A password that meets the rules.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl Password {
    /// Applies the rules for a new password (registration, change).
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let count = raw.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&count) {
            return Err(UserError::InvalidPassword("must be 8 to 128 characters"));
        }
        if !raw.chars().any(char::is_alphabetic) || !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(UserError::InvalidPassword(
                "needs at least one letter and one digit",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password presented at login: only the length bound applies (old rules may differ).
    pub fn presented(raw: &str) -> Result<Self, UserError> {
        if raw.is_empty() || raw.chars().count() > MAX_CHARS {
            return Err(UserError::BadCredentials);
        }
        Ok(Self(raw.to_owned()))
    }
}

/// argon2id with fixed cost parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
}

impl PasswordHasher {
    /// `memory_kib`, `iterations`, `parallelism`: the argon2 cost.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, argon2::Error> {
        let params = Params::new(memory_kib, iterations, parallelism, None)?;
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=...`) of `password` with a fresh random salt.
    pub fn hash(&self, password: &Password) -> String {
        let salt =
            SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes is a valid salt");
        self.argon2
            .hash_password(password.0.as_bytes(), &salt)
            .expect("valid parameters hash any input")
            .to_string()
    }

    /// Whether `password` matches `phc`; a malformed stored hash never matches.
    pub fn verify(&self, password: &Password, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|parsed| {
            self.argon2
                .verify_password(password.0.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        // Cheap parameters: these tests check behaviour, not cost.
        PasswordHasher::new(1024, 1, 1).unwrap()
    }

    #[test]
    fn rules_for_new_passwords() {
        assert!(Password::parse("abcdefg1").is_ok());
        assert!(
            Password::parse("' OR 1=1; -- 9x").is_ok(),
            "metacharacters are just characters"
        );
        for bad in [
            "",
            "abc1",
            "abcdefgh",
            "12345678",
            &format!("a1{}", "x".repeat(127)),
        ] {
            assert!(Password::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn hashes_verify_only_the_right_password_and_are_salted() {
        let h = hasher();
        let pw = Password::parse("correct horse 1").unwrap();
        let (a, b) = (h.hash(&pw), h.hash(&pw));
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "same password, same hash: no salt");
        assert!(h.verify(&pw, &a));
        assert!(!h.verify(&Password::presented("correct horse 2").unwrap(), &a));
        assert!(!h.verify(&pw, "not a hash"));
    }

    #[test]
    fn passwords_never_print() {
        let pw = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{pw:?}").contains("hunter2"));
        assert!(!hasher().hash(&pw).contains("hunter2"));
    }
}
