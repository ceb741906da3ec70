//! Usernames: 2 to 32 characters, letters (any script), digits, `_`, `-` and `.`; unique regardless
//! of case (the lowercase [`Username::key`] carries the unique index).

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
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(UserError::InvalidUsername(
                "may contain only letters, digits, _ - and .",
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
    fn spaces_control_characters_and_sql_metacharacters_are_rejected() {
        for bad in [
            " ab",
            "ab ",
            "a b",
            "a\u{0}b",
            "a\nb",
            "x'; DROP TABLE users; --",
            "a\"b",
            "a%b",
            "a`b",
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
