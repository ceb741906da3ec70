//! `interaction.events`: one JSON message per action, written to the outbox in the action's
//! transaction. Like and comment events are keyed by video id, follow events by follower id, so one
//! entity's events stay in order. Every event carries its own id; the counter consumer applies each
//! id once.

use serde::{Deserialize, Serialize};

/// One interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InteractionEvent {
    /// A like of a video (`comment_id` absent) or of one of its comments.
    Liked {
        id: i64,
        user_id: i64,
        video_id: i64,
        comment_id: Option<i64>,
    },
    /// A like cancelled.
    Unliked {
        id: i64,
        user_id: i64,
        video_id: i64,
        comment_id: Option<i64>,
    },
    /// A comment on a video, or a reply (`parent_id`).
    Commented {
        id: i64,
        comment_id: i64,
        video_id: i64,
        parent_id: Option<i64>,
        author_id: i64,
    },
    /// A comment and every reply below it, removed by the comment's author.
    CommentsDeleted {
        id: i64,
        video_id: i64,
        /// `(comment id, parent id or 0)` of each removed comment, the deleted one first.
        removed: Vec<(i64, i64)>,
    },
    Followed {
        id: i64,
        follower_id: i64,
        followee_id: i64,
    },
    Unfollowed {
        id: i64,
        follower_id: i64,
        followee_id: i64,
    },
}

/// One counter row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    VideoLikes(i64),
    VideoComments(i64),
    CommentLikes(i64),
    CommentReplies(i64),
    Followers(i64),
    Following(i64),
}

impl Counter {
    /// `(kind, entity id)` as stored in the `counters` table.
    pub fn key(self) -> (i8, i64) {
        match self {
            Counter::VideoLikes(id) => (1, id),
            Counter::VideoComments(id) => (2, id),
            Counter::CommentLikes(id) => (3, id),
            Counter::CommentReplies(id) => (4, id),
            Counter::Followers(id) => (5, id),
            Counter::Following(id) => (6, id),
        }
    }
}

impl InteractionEvent {
    pub fn id(&self) -> i64 {
        match self {
            InteractionEvent::Liked { id, .. }
            | InteractionEvent::Unliked { id, .. }
            | InteractionEvent::Commented { id, .. }
            | InteractionEvent::CommentsDeleted { id, .. }
            | InteractionEvent::Followed { id, .. }
            | InteractionEvent::Unfollowed { id, .. } => *id,
        }
    }

    /// The message key: the video for likes and comments, the follower for follows.
    pub fn key(&self) -> i64 {
        match self {
            InteractionEvent::Liked { video_id, .. }
            | InteractionEvent::Unliked { video_id, .. }
            | InteractionEvent::Commented { video_id, .. }
            | InteractionEvent::CommentsDeleted { video_id, .. } => *video_id,
            InteractionEvent::Followed { follower_id, .. }
            | InteractionEvent::Unfollowed { follower_id, .. } => *follower_id,
        }
    }

    /// The counter changes this event makes.
    pub fn deltas(&self) -> Vec<(Counter, i64)> {
        let like = |video: i64, comment: Option<i64>| match comment {
            Some(c) => Counter::CommentLikes(c),
            None => Counter::VideoLikes(video),
        };
        match self {
            InteractionEvent::Liked {
                video_id,
                comment_id,
                ..
            } => vec![(like(*video_id, *comment_id), 1)],
            InteractionEvent::Unliked {
                video_id,
                comment_id,
                ..
            } => vec![(like(*video_id, *comment_id), -1)],
            InteractionEvent::Commented {
                video_id,
                parent_id,
                ..
            } => {
                let mut d = vec![(Counter::VideoComments(*video_id), 1)];
                d.extend(parent_id.map(|p| (Counter::CommentReplies(p), 1)));
                d
            }
            InteractionEvent::CommentsDeleted {
                video_id, removed, ..
            } => {
                let mut d = vec![(Counter::VideoComments(*video_id), -(removed.len() as i64))];
                d.extend(
                    removed
                        .iter()
                        .filter(|(_, parent)| *parent != 0)
                        .map(|(_, parent)| (Counter::CommentReplies(*parent), -1)),
                );
                d
            }
            InteractionEvent::Followed {
                follower_id,
                followee_id,
                ..
            } => vec![
                (Counter::Following(*follower_id), 1),
                (Counter::Followers(*followee_id), 1),
            ],
            InteractionEvent::Unfollowed {
                follower_id,
                followee_id,
                ..
            } => vec![
                (Counter::Following(*follower_id), -1),
                (Counter::Followers(*followee_id), -1),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json_and_round_trip() {
        let e = InteractionEvent::Followed {
            id: 1,
            follower_id: 2,
            followee_id: 3,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"type":"followed","id":1,"follower_id":2,"followee_id":3}"#
        );
        assert_eq!(serde_json::from_str::<InteractionEvent>(&json).unwrap(), e);
        assert_eq!(e.key(), 2);
    }

    #[test]
    fn deltas_of_each_event() {
        let liked = InteractionEvent::Liked {
            id: 1,
            user_id: 9,
            video_id: 5,
            comment_id: None,
        };
        assert_eq!(liked.deltas(), vec![(Counter::VideoLikes(5), 1)]);
        let unliked_comment = InteractionEvent::Unliked {
            id: 2,
            user_id: 9,
            video_id: 5,
            comment_id: Some(7),
        };
        assert_eq!(
            unliked_comment.deltas(),
            vec![(Counter::CommentLikes(7), -1)]
        );
        let reply = InteractionEvent::Commented {
            id: 3,
            comment_id: 8,
            video_id: 5,
            parent_id: Some(7),
            author_id: 9,
        };
        assert_eq!(
            reply.deltas(),
            vec![
                (Counter::VideoComments(5), 1),
                (Counter::CommentReplies(7), 1)
            ]
        );
        let removed = InteractionEvent::CommentsDeleted {
            id: 4,
            video_id: 5,
            removed: vec![(7, 0), (8, 7), (10, 8)],
        };
        assert_eq!(
            removed.deltas(),
            vec![
                (Counter::VideoComments(5), -3),
                (Counter::CommentReplies(7), -1),
                (Counter::CommentReplies(8), -1)
            ]
        );
        let unfollowed = InteractionEvent::Unfollowed {
            id: 5,
            follower_id: 1,
            followee_id: 2,
        };
        assert_eq!(
            unfollowed.deltas(),
            vec![(Counter::Following(1), -1), (Counter::Followers(2), -1)]
        );
    }
}
