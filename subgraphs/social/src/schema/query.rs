//! Reads: comment lists, one comment, the three follow lists, liked videos, entity resolvers.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};

use super::loader::CommentLoader;
use super::types::{Comment, CommentPage, LikedVideoPage, User, UserList, Video};
use super::{caller, id_opt};
use crate::domain::actions::Target;
use crate::store::follows::List;
use crate::usecases::Social;

pub struct Query;

#[Object]
impl Query {
    /// A video's top-level comments (`videoId`) or a comment's replies (`commentId`), newest
    /// first; exactly one of the two. `pageNum` counts from 0; `pageSize` is 1-100 (default 10).
    async fn comments(
        &self,
        ctx: &Context<'_>,
        video_id: Option<ID>,
        comment_id: Option<ID>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<CommentPage> {
        let target = Target::from_pair(id_opt(&video_id)?, id_opt(&comment_id)?)?;
        let of = ctx.data_unchecked::<Social>().comment_list(target).await?;
        CommentPage::load(of, page_num, page_size)
    }

    /// A live comment by id; null when there is none (or it was deleted).
    async fn comment(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Comment>> {
        let id = kit::id::parse(&id)?;
        Ok(ctx
            .data_unchecked::<DataLoader<CommentLoader>>()
            .load_one(id)
            .await?
            .map(Comment))
    }

    /// Videos a registered user liked, newest like first.
    async fn liked_videos(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<LikedVideoPage> {
        let user = known_user(ctx, &user_id).await?;
        LikedVideoPage::load(ctx, user, page_num, page_size).await
    }

    /// Users a registered user follows, newest first.
    async fn following(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<UserList> {
        let user = known_user(ctx, &user_id).await?;
        UserList::load(ctx, List::Following(user), page_num, page_size).await
    }

    /// Users following a registered user, newest first.
    async fn followers(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<UserList> {
        let user = known_user(ctx, &user_id).await?;
        UserList::load(ctx, List::Followers(user), page_num, page_size).await
    }

    /// The signed-in caller's friends (users who follow the caller back), newest first.
    async fn friends(
        &self,
        ctx: &Context<'_>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<UserList> {
        let user = caller(ctx).require_user()?;
        UserList::load(ctx, List::Friends(user), page_num, page_size).await
    }

    /// Federation entity resolver for this subgraph's `Video` fields (any id: counts of an
    /// unknown video are 0).
    #[graphql(entity)]
    async fn find_video_by_id(&self, id: ID) -> Result<Video> {
        Ok(Video(kit::id::parse(&id)?))
    }

    /// Federation entity resolver (`Comment @key(fields: "id")`), batched.
    #[graphql(entity)]
    async fn find_comment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Comment>> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<DataLoader<CommentLoader>>()
            .load_one(id)
            .await?
            .map(Comment))
    }

    /// Federation entity resolver for this subgraph's `User` fields.
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Result<User> {
        Ok(User(kit::id::parse(&id)?))
    }
}

/// A user id the user service announced, else `USER_NOT_FOUND`.
async fn known_user(ctx: &Context<'_>, id: &ID) -> Result<i64> {
    let id = kit::id::parse(id)?;
    ctx.data_unchecked::<Social>().require_user(id).await?;
    Ok(id)
}
