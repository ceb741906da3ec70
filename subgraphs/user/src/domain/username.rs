//! Usernames: 2 to 32 characters, letters and digits of any script plus ASCII punctuation; no
//! whitespace, control or invisible formatting characters (they make look-alike names). Unique
//! regardless of case (the lowercase [`Username::key`] carries the unique index).
//!
//! Punctuation includes SQL and HTML metacharacters (`'`, `"`, `;`, `%`, `<`): every query binds
//! its parameters and every client escapes its output, so such names are stored and shown verbatim.

use crate::error::UserError;

/// A valid username, as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Fewest characters.
pub const MIN_CHARS: usize = 2;
/// Most characters.
pub const MAX_CHARS: usize = 32;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let count = raw.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&count) {
            return Err(UserError::InvalidUsername("must be 2 to 32 characters"));
        }
        if !raw
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_ascii_punctuation())
        {
            return Err(UserError::InvalidUsername(
                "may contain only letters, digits and ASCII punctuation",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that must be unique.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_in_any_script_are_accepted() {
        for ok in [
            "ab",
            "fan_one",
            "Zhang.San-2",
            "张三",
            "ユーザー",
            "o'brien\";--",
            "50%_off<b>",
            &"x".repeat(32),
        ] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn lengths_outside_the_bounds_are_rejected() {
        for bad in ["", "a", &"x".repeat(33), &"y".repeat(10 * 1024)] {
            assert!(
                Username::parse(bad).is_err(),
                "{} chars accepted",
                bad.chars().count()
            );
        }
    }

    #[test]
    fn whitespace_control_and_invisible_characters_are_rejected() {
        for bad in [
            " ab",
            "ab ",
            "a b",
            "a\u{0}b",
            "a\nb",
            "a\u{3000}b",
            "a\u{200b}b",
            "a\u{202e}b",
            "x'; DROP TABLE users; --",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_key_ignores_case() {
        assert_eq!(
            Username::parse("FanOne").unwrap().key(),
            Username::parse("fanone").unwrap().key()
        );
    }
}
