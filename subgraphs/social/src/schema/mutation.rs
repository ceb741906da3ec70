//! Writes, shaped like the contract's actions: likes, comments, follows. Each needs a signed-in
//! caller; the router maps the REST routes onto them one to one.

use async_graphql::{Context, ID, Object, Result};

use super::types::Comment;
use super::{caller, id_opt};
use crate::domain::actions::{LikeAction, RelationAction, Target};
use crate::usecases::Social;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Likes (`actionType` 1) or cancels a like (2) of a video or a comment (exactly one).
    async fn like_action(
        &self,
        ctx: &Context<'_>,
        video_id: Option<ID>,
        comment_id: Option<ID>,
        action_type: i32,
    ) -> Result<bool> {
        let user = caller(ctx).require_user()?;
        let action = LikeAction::from_code(action_type)?;
        let target = Target::from_pair(id_opt(&video_id)?, id_opt(&comment_id)?)?;
        ctx.data_unchecked::<Social>()
            .like(user, target, action)
            .await?;
        Ok(true)
    }

    /// Comments on a video (`videoId`) or replies to a comment (`commentId`): 1-1000 characters.
    async fn publish_comment(
        &self,
        ctx: &Context<'_>,
        video_id: Option<ID>,
        comment_id: Option<ID>,
        content: String,
    ) -> Result<Comment> {
        let user = caller(ctx).require_user()?;
        let target = Target::from_pair(id_opt(&video_id)?, id_opt(&comment_id)?)?;
        let row = ctx
            .data_unchecked::<Social>()
            .comment(user, target, &content)
            .await?;
        Ok(Comment(row))
    }

    /// Deletes the caller's comment and every reply below it. `videoId`, when given, must be the
    /// comment's video.
    async fn delete_comment(
        &self,
        ctx: &Context<'_>,
        comment_id: ID,
        video_id: Option<ID>,
    ) -> Result<bool> {
        let user = caller(ctx).require_user()?;
        let comment = kit::id::parse(&comment_id)?;
        ctx.data_unchecked::<Social>()
            .delete_comment(user, comment, id_opt(&video_id)?)
            .await?;
        Ok(true)
    }

    /// Follows (`actionType` 0) or unfollows (1) a user.
    async fn relation_action(
        &self,
        ctx: &Context<'_>,
        to_user_id: ID,
        action_type: i32,
    ) -> Result<bool> {
        let user = caller(ctx).require_user()?;
        let action = RelationAction::from_code(action_type)?;
        let to = kit::id::parse(&to_user_id)?;
        ctx.data_unchecked::<Social>()
            .relation(user, to, action)
            .await?;
        Ok(true)
    }
}
