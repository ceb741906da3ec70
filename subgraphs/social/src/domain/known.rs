//! What this service reads from other services' events: which videos and users exist. Only the
//! fields it needs are decoded; other event types (e.g. `cover_ready`) are ignored.

use serde::Deserialize;

/// A message of `video.events` or `user.events`, as far as existence goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fact {
    /// `video.events`: a video became visible.
    Published { video_id: i64, author_id: i64 },
    /// `video.events`: a video was deleted.
    Deleted { video_id: i64 },
    /// `user.events`: an account was created.
    Registered { user_id: i64 },
    /// Any other event type of those topics.
    #[serde(other)]
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_video_and_user_services_events() {
        let published = r#"{"type":"published","id":1,"video_id":2,"author_id":3,"title":"t","description":"d","created_at_ms":0}"#;
        assert_eq!(
            serde_json::from_str::<Fact>(published).unwrap(),
            Fact::Published {
                video_id: 2,
                author_id: 3
            }
        );
        let cover = r#"{"type":"cover_ready","id":1,"video_id":2,"cover_key":"k"}"#;
        assert_eq!(serde_json::from_str::<Fact>(cover).unwrap(), Fact::Other);
        let registered =
            r#"{"type":"registered","id":1,"user_id":4,"username":"u","created_at_ms":0}"#;
        assert_eq!(
            serde_json::from_str::<Fact>(registered).unwrap(),
            Fact::Registered { user_id: 4 }
        );
    }
}
