//! The contract's action codes (`action_type`) and the rules for comment content.

use crate::error::SocialError;

/// `POST /like/action`: `1` like, `2` cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeAction {
    Like,
    Cancel,
}

impl LikeAction {
    pub fn from_code(code: i32) -> Result<Self, SocialError> {
        match code {
            1 => Ok(Self::Like),
            2 => Ok(Self::Cancel),
            _ => Err(SocialError::Invalid("actionType is 1 (like) or 2 (cancel)")),
        }
    }
}

/// `POST /relation/action`: `0` follow, `1` unfollow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationAction {
    Follow,
    Unfollow,
}

impl RelationAction {
    pub fn from_code(code: i32) -> Result<Self, SocialError> {
        match code {
            0 => Ok(Self::Follow),
            1 => Ok(Self::Unfollow),
            _ => Err(SocialError::Invalid(
                "actionType is 0 (follow) or 1 (unfollow)",
            )),
        }
    }
}

/// What a like or a comment is attached to: exactly one of a video and a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Video(i64),
    Comment(i64),
}

impl Target {
    pub fn from_pair(video: Option<i64>, comment: Option<i64>) -> Result<Self, SocialError> {
        match (video, comment) {
            (Some(v), None) => Ok(Self::Video(v)),
            (None, Some(c)) => Ok(Self::Comment(c)),
            (None, None) => Err(SocialError::Invalid("give videoId or commentId")),
            (Some(_), Some(_)) => Err(SocialError::Invalid("give videoId or commentId, not both")),
        }
    }
}

/// Checks comment text: trimmed, not empty, at most `max_chars` characters, no control characters
/// other than line breaks and tabs. Returns the text to store.
pub fn comment_content(raw: &str, max_chars: usize) -> Result<String, SocialError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(SocialError::Invalid("content must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(SocialError::Invalid("content is too long"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(SocialError::Invalid(
            "content must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_codes_follow_the_contract() {
        assert_eq!(LikeAction::from_code(1).unwrap(), LikeAction::Like);
        assert_eq!(LikeAction::from_code(2).unwrap(), LikeAction::Cancel);
        assert_eq!(
            RelationAction::from_code(0).unwrap(),
            RelationAction::Follow
        );
        assert_eq!(
            RelationAction::from_code(1).unwrap(),
            RelationAction::Unfollow
        );
        for bad in [-1, 0, 3, i32::MAX] {
            assert!(LikeAction::from_code(bad).is_err(), "{bad}");
        }
        for bad in [-1, 2, i32::MIN] {
            assert!(RelationAction::from_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exactly_one_target() {
        assert_eq!(Target::from_pair(Some(1), None).unwrap(), Target::Video(1));
        assert_eq!(
            Target::from_pair(None, Some(2)).unwrap(),
            Target::Comment(2)
        );
        assert!(Target::from_pair(None, None).is_err());
        assert!(Target::from_pair(Some(1), Some(2)).is_err());
    }

    #[test]
    fn comment_content_rules() {
        assert_eq!(
            comment_content("  好看！\n第二行 ", 10).unwrap(),
            "好看！\n第二行"
        );
        assert!(comment_content(" \n\t ", 10).is_err());
        assert!(comment_content("", 10).is_err());
        assert_eq!(
            comment_content(&"字".repeat(10), 10)
                .unwrap()
                .chars()
                .count(),
            10
        );
        assert!(comment_content(&"字".repeat(11), 10).is_err());
        assert!(comment_content("a\u{0}b", 10).is_err());
        assert!(comment_content("a\u{1b}[31mb", 10).is_err());
    }
}
