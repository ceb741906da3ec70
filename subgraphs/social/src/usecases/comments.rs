//! Comments and replies: publish, delete (with every reply below), lists.
//!
//! Deleting a comment removes its whole subtree at once, so no reply is left under a comment that
//! lists no longer show, and every count drops by what disappeared.

use kit::page::Page;

use super::{Social, now};
use crate::domain::actions::{Target, comment_content};
use crate::domain::events::InteractionEvent;
use crate::error::SocialError;
use crate::metrics;
use crate::store::comments::{self, CommentRow, Of};

impl Social {
    /// Publishes a comment on a live video, or a reply to a live comment.
    #[tracing::instrument(skip_all, fields(user.id = author))]
    pub async fn comment(
        &self,
        author: i64,
        target: Target,
        content: &str,
    ) -> Result<CommentRow, SocialError> {
        let content = comment_content(content, self.max_comment_chars)?;
        let mut tx = self.pool.begin().await?;
        let (video, parent) = match target {
            Target::Video(v) => (v, 0),
            Target::Comment(c) => {
                // Held until commit: the parent cannot be deleted under the new reply.
                let parent = comments::lock_live(&mut tx, &self.shards, c, false)
                    .await?
                    .ok_or(SocialError::CommentNotFound)?;
                (parent.video_id, c)
            }
        };
        self.require_video(video).await?;
        let at = now();
        let row = CommentRow {
            id: self.shards.next_id_in(self.shards.of(video)),
            video_id: video,
            parent_id: parent,
            author_id: author,
            content,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        comments::insert(&mut tx, &self.shards, &row).await?;
        let event = InteractionEvent::Commented {
            id: kit::id::next_id(),
            comment_id: row.id,
            video_id: video,
            parent_id: row.parent(),
            author_id: author,
        };
        self.emit(&mut tx, &event).await?;
        self.commit(tx).await?;
        metrics::action("comment");
        Ok(row)
    }

    /// Deletes a comment of `author` and every reply below it. `video`, when given, must be the
    /// comment's video.
    #[tracing::instrument(skip_all, fields(user.id = author, comment.id = id))]
    pub async fn delete_comment(
        &self,
        author: i64,
        id: i64,
        video: Option<i64>,
    ) -> Result<(), SocialError> {
        let mut tx = self.pool.begin().await?;
        let row = comments::lock_live(&mut tx, &self.shards, id, true)
            .await?
            .filter(|row| video.is_none_or(|v| v == row.video_id))
            .ok_or(SocialError::CommentNotFound)?;
        if row.author_id != author {
            return Err(SocialError::NotAuthor);
        }
        let replies = comments::lock_subtree(&mut tx, &self.shards, id).await?;
        let mut removed = vec![(id, row.parent_id)];
        removed.extend(replies);
        let ids: Vec<i64> = removed.iter().map(|(id, _)| *id).collect();
        comments::soft_delete(&mut tx, &self.shards, &ids, now()).await?;
        // One event per batch keeps each Kafka message small whatever the subtree's size; the
        // counter fold adds them up like one.
        for batch in removed.chunks(comments::BATCH) {
            let event = InteractionEvent::CommentsDeleted {
                id: kit::id::next_id(),
                video_id: row.video_id,
                removed: batch.to_vec(),
            };
            self.emit(&mut tx, &event).await?;
        }
        self.commit(tx).await?;
        metrics::action("delete_comment");
        Ok(())
    }

    /// Live comments among `ids`.
    pub async fn comments_by_ids(&self, ids: &[i64]) -> Result<Vec<CommentRow>, SocialError> {
        comments::by_ids(&self.pool, &self.shards, ids)
            .await
            .map_err(SocialError::from)
    }

    /// The list a target names: a live video's top-level comments or a live comment's replies.
    pub async fn comment_list(&self, target: Target) -> Result<Of, SocialError> {
        match target {
            Target::Video(v) => {
                self.require_video(v).await?;
                Ok(Of::Video(v))
            }
            Target::Comment(c) => {
                if self.comments_by_ids(&[c]).await?.is_empty() {
                    return Err(SocialError::CommentNotFound);
                }
                Ok(Of::Parent(c))
            }
        }
    }

    /// One page of a list, newest first.
    pub async fn comment_page(&self, of: Of, page: Page) -> Result<Vec<CommentRow>, SocialError> {
        comments::page(&self.pool, &self.shards, of, page.limit(), page.offset())
            .await
            .map_err(SocialError::from)
    }

    pub async fn comment_total(&self, of: Of) -> Result<i64, SocialError> {
        comments::count(&self.pool, &self.shards, of)
            .await
            .map_err(SocialError::from)
    }
}
