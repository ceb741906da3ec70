//! `user.events`: account events for the other services (social learns which users exist, search
//! indexes usernames and avatars), keyed by user id, JSON, written through the outbox. Every event carries its
//! own id, so consumers apply each one once.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserEvent {
    /// An account was created.
    Registered {
        id: i64,
        user_id: i64,
        username: String,
        /// Milliseconds since the epoch.
        created_at_ms: i64,
    },
    /// A user's avatar now is the object `avatar_key` (search indexes avatars for image search).
    AvatarChanged {
        id: i64,
        user_id: i64,
        avatar_key: String,
    },
}

impl UserEvent {
    /// The event's own id.
    pub fn id(&self) -> i64 {
        match self {
            UserEvent::Registered { id, .. } | UserEvent::AvatarChanged { id, .. } => *id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_is_tagged_json() {
        let e = UserEvent::Registered {
            id: 1,
            user_id: 2,
            username: "ann".into(),
            created_at_ms: 3,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"type":"registered","id":1,"user_id":2,"username":"ann","created_at_ms":3}"#
        );
        assert_eq!(e.id(), 1);
    }
}
