//! Likes of videos and comments, and a user's liked videos.

use kit::page::Page;

use super::{Social, now};
use crate::domain::actions::{LikeAction, Target};
use crate::domain::events::InteractionEvent;
use crate::error::SocialError;
use crate::metrics;
use crate::store::{self, comments, known, likes};

impl Social {
    /// Likes or cancels a like of a live video or comment. Liking twice is `ALREADY_LIKED`,
    /// cancelling a missing like `NOT_LIKED`, either on a video not live `VIDEO_NOT_FOUND`; none of
    /// them changes anything. The statement that writes the like checks the video too (one round
    /// trip fewer than a check before it), so the check runs separately only when nothing changed.
    #[tracing::instrument(skip_all, fields(user.id = user))]
    pub async fn like(
        &self,
        user: i64,
        target: Target,
        action: LikeAction,
    ) -> Result<(), SocialError> {
        let (kind, target_id, video, comment) = match target {
            Target::Video(v) => (likes::VIDEO, v, v, None),
            Target::Comment(c) => {
                let row = comments::by_ids(&self.pool, &self.shards, &[c])
                    .await?
                    .pop()
                    .ok_or(SocialError::CommentNotFound)?;
                (likes::COMMENT, c, row.video_id, Some(c))
            }
        };
        let id = kit::id::next_id();
        let mut tx = self.pool.begin().await?;
        let event = match action {
            LikeAction::Like => {
                match likes::insert(&mut tx, &self.shards, kind, target_id, user, video, now())
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => return Err(SocialError::VideoNotFound),
                    Err(e) if store::is_duplicate(&e) => {
                        return Err(SocialError::AlreadyLiked);
                    }
                    Err(e) => return Err(e.into()),
                }
                InteractionEvent::Liked {
                    id,
                    user_id: user,
                    video_id: video,
                    comment_id: comment,
                }
            }
            LikeAction::Cancel => {
                if !likes::delete(&mut tx, &self.shards, kind, target_id, user, video).await? {
                    // Nothing was removed: the video is gone, or there was no like (asked on the
                    // transaction's connection; dropping it rolls back nothing written).
                    return Err(if known::video_live(&mut *tx, video).await? {
                        SocialError::NotLiked
                    } else {
                        SocialError::VideoNotFound
                    });
                }
                InteractionEvent::Unliked {
                    id,
                    user_id: user,
                    video_id: video,
                    comment_id: comment,
                }
            }
        };
        self.emit(&mut tx, &event).await?;
        self.commit(tx).await?;
        metrics::action(match action {
            LikeAction::Like => "like",
            LikeAction::Cancel => "unlike",
        });
        Ok(())
    }

    /// Which of `videos` `user` liked.
    pub async fn liked_among(&self, user: i64, videos: &[i64]) -> Result<Vec<i64>, SocialError> {
        likes::liked_among(&self.pool, &self.shards, user, videos)
            .await
            .map_err(SocialError::from)
    }

    /// One page of the live videos `user` liked, newest like first.
    pub async fn liked_videos(&self, user: i64, page: Page) -> Result<Vec<i64>, SocialError> {
        likes::liked_videos(&self.pool, &self.shards, user, page.limit(), page.offset())
            .await
            .map_err(SocialError::from)
    }

    pub async fn liked_videos_total(&self, user: i64) -> Result<i64, SocialError> {
        likes::count_liked_videos(&self.pool, &self.shards, user)
            .await
            .map_err(SocialError::from)
    }
}
