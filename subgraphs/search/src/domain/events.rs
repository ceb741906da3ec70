//! What this service reads from `video.events` and `user.events`: only the fields the index needs.
//! Other event types are ignored, so the producers can add events without breaking the indexer.

use serde::Deserialize;

/// One message of `video.events` or `user.events`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fact {
    /// A video became visible.
    Published {
        video_id: i64,
        author_id: i64,
        title: String,
        description: String,
        created_at_ms: i64,
    },
    /// A video's cover was stored under `cover_key`.
    CoverReady { video_id: i64, cover_key: String },
    /// A video was deleted.
    Deleted { video_id: i64 },
    /// An account was created.
    Registered { user_id: i64, username: String },
    /// A user's avatar was replaced by the object `avatar_key`.
    AvatarChanged { user_id: i64, avatar_key: String },
    /// Any other event type.
    #[serde(other)]
    Other,
}

/// Where an indexed image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A video's cover (`source_id` is the video).
    Cover,
    /// A user's avatar (`source_id` is the user).
    Avatar,
    /// Loaded through `POST /images` or `clipfed images import` (`source_id` is the loader).
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cover => "cover",
            Source::Avatar => "avatar",
            Source::Import => "import",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_producers_json() {
        let published = r#"{"type":"published","id":1,"video_id":2,"author_id":3,"title":"t","description":"d","created_at_ms":5}"#;
        assert_eq!(
            serde_json::from_str::<Fact>(published).unwrap(),
            Fact::Published {
                video_id: 2,
                author_id: 3,
                title: "t".into(),
                description: "d".into(),
                created_at_ms: 5
            }
        );
        let avatar =
            r#"{"type":"avatar_changed","id":1,"user_id":4,"avatar_key":"avatars/4/x.png"}"#;
        assert_eq!(
            serde_json::from_str::<Fact>(avatar).unwrap(),
            Fact::AvatarChanged {
                user_id: 4,
                avatar_key: "avatars/4/x.png".into()
            }
        );
        let unknown = r#"{"type":"renamed","id":1,"user_id":4}"#;
        assert_eq!(serde_json::from_str::<Fact>(unknown).unwrap(), Fact::Other);
    }
}
