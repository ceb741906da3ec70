//! Follows: follow / unfollow, the following, follower and friend lists.

use kit::page::Page;

use super::{RETRIES, Social, now};
use crate::domain::actions::RelationAction;
use crate::domain::events::InteractionEvent;
use crate::error::SocialError;
use crate::metrics;
use crate::store::{self, follows, follows::List};

impl Social {
    /// Follows or unfollows a registered user. Yourself is `CANNOT_FOLLOW_SELF`, following twice
    /// `ALREADY_FOLLOWING`, unfollowing someone not followed `NOT_FOLLOWING`.
    #[tracing::instrument(skip_all, fields(user.id = follower))]
    pub async fn relation(
        &self,
        follower: i64,
        followee: i64,
        action: RelationAction,
    ) -> Result<(), SocialError> {
        if follower == followee {
            return Err(SocialError::FollowSelf);
        }
        if action == RelationAction::Follow {
            self.require_user(followee).await?;
        }
        let mut attempt = 0;
        loop {
            match self.try_relation(follower, followee, action).await {
                Err(Retry::Again(err)) if attempt < RETRIES => {
                    attempt += 1;
                    tracing::debug!(error.message = %err, attempt, "follow transaction retried");
                }
                Err(Retry::Again(err)) => return Err(err.into()),
                Err(Retry::Fail(err)) => return Err(err),
                Ok(()) => break,
            }
        }
        metrics::action(match action {
            RelationAction::Follow => "follow",
            RelationAction::Unfollow => "unfollow",
        });
        Ok(())
    }

    async fn try_relation(
        &self,
        follower: i64,
        followee: i64,
        action: RelationAction,
    ) -> Result<(), Retry> {
        let mut tx = self.pool.begin().await.map_err(Retry::from)?;
        let id = kit::id::next_id();
        let event = match action {
            RelationAction::Follow => {
                match follows::follow(&mut tx, follower, followee, now()).await {
                    Ok(()) => {}
                    Err(e) if store::is_duplicate(&e) => {
                        return Err(Retry::Fail(SocialError::AlreadyFollowing));
                    }
                    Err(e) => return Err(e.into()),
                }
                InteractionEvent::Followed {
                    id,
                    follower_id: follower,
                    followee_id: followee,
                }
            }
            RelationAction::Unfollow => {
                if !follows::unfollow(&mut tx, follower, followee).await? {
                    return Err(Retry::Fail(SocialError::NotFollowing));
                }
                InteractionEvent::Unfollowed {
                    id,
                    follower_id: follower,
                    followee_id: followee,
                }
            }
        };
        self.emit(&mut tx, &event).await.map_err(Retry::Fail)?;
        tx.commit().await?;
        self.relay.notify_one();
        Ok(())
    }

    /// Which of `users` `viewer` follows.
    pub async fn followed_among(
        &self,
        viewer: i64,
        users: &[i64],
    ) -> Result<Vec<i64>, SocialError> {
        follows::followed_among(&self.pool, viewer, users)
            .await
            .map_err(SocialError::from)
    }

    /// One page of a follow list, newest follow first.
    pub async fn follow_page(&self, list: List, page: Page) -> Result<Vec<i64>, SocialError> {
        follows::page(&self.pool, list, page.limit(), page.offset())
            .await
            .map_err(SocialError::from)
    }

    pub async fn follow_total(&self, list: List) -> Result<i64, SocialError> {
        follows::count(&self.pool, list)
            .await
            .map_err(SocialError::from)
    }
}

/// A failed attempt: retry it (deadlock) or give up with this error.
enum Retry {
    Again(sqlx::Error),
    Fail(SocialError),
}

impl From<sqlx::Error> for Retry {
    fn from(err: sqlx::Error) -> Self {
        if store::is_retryable(&err) {
            Retry::Again(err)
        } else {
            Retry::Fail(err.into())
        }
    }
}
