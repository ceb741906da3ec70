//! Messages: `video.events` (published, cover ready, deleted; keyed by video id, JSON) for the search
//! indexer, and visit events (`video.visits`, keyed by video id) folded into visit counts.
//!
//! Every event carries its own id (time-ordered, unique): consumers apply an id at most once.

use serde::{Deserialize, Serialize};

/// One visit of one video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitEvent {
    /// Event id (consumers apply each id once).
    pub id: i64,
    pub video_id: i64,
    /// Milliseconds since the epoch.
    pub at_ms: i64,
}

/// A change of a video, as the search indexer needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VideoEvent {
    /// A video became visible.
    Published {
        id: i64,
        video_id: i64,
        author_id: i64,
        title: String,
        description: String,
        /// Publish time, milliseconds since the epoch.
        created_at_ms: i64,
    },
    /// The cover image was extracted and stored (object key in the bucket).
    CoverReady {
        id: i64,
        video_id: i64,
        cover_key: String,
    },
    /// The video was deleted by its uploader.
    Deleted { id: i64, video_id: i64 },
}

impl VideoEvent {
    /// The event's own id.
    pub fn id(&self) -> i64 {
        match self {
            VideoEvent::Published { id, .. }
            | VideoEvent::CoverReady { id, .. }
            | VideoEvent::Deleted { id, .. } => *id,
        }
    }

    /// The video this event is about (the message key).
    pub fn video_id(&self) -> i64 {
        match self {
            VideoEvent::Published { video_id, .. }
            | VideoEvent::CoverReady { video_id, .. }
            | VideoEvent::Deleted { video_id, .. } => *video_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json() {
        let e = VideoEvent::Deleted { id: 1, video_id: 2 };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"type":"deleted","id":1,"video_id":2}"#);
        assert_eq!(serde_json::from_str::<VideoEvent>(&json).unwrap(), e);
    }
}
