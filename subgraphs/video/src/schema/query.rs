//! Reads: one video, several, the feed, an uploader's list, the popular list, entity resolvers.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use kit::page::Page;
use kit::{AppError, ErrorCode};

use super::loader::VideoLoader;
use super::types::{Long, Total, User, Video, VideoPage, parse_id};
use crate::usecases::Catalog;

/// Most ids in one `videos` call.
pub const MAX_IDS: usize = 100;

pub struct Query;

#[Object]
impl Query {
    /// A live video by id; null when there is none (or it was deleted).
    async fn video(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Video>> {
        let id = parse_id(&id)?;
        Ok(ctx
            .data_unchecked::<DataLoader<VideoLoader>>()
            .load_one(id)
            .await?
            .map(Video))
    }

    /// Live videos by ids (at most 100), in the order asked; unknown ids are skipped.
    async fn videos(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Video>> {
        if ids.len() > MAX_IDS {
            return Err(
                AppError::with_message(ErrorCode::InvalidParameter, "at most 100 ids").into(),
            );
        }
        let ids = ids.iter().map(parse_id).collect::<Result<Vec<_>, _>>()?;
        let mut found = ctx
            .data_unchecked::<DataLoader<VideoLoader>>()
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(id).map(Video))
            .collect())
    }

    /// The feed, newest first. `latestTime` (milliseconds since the epoch) keeps only videos
    /// created after it. `pageNum` counts from 0; `pageSize` is 1-100 (0 or absent: 10).
    async fn feed(
        &self,
        ctx: &Context<'_>,
        latest_time: Option<Long>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<VideoPage> {
        let page = Page::new(page_num, page_size)?;
        let after = latest_time.map(|t| t.0);
        let rows = ctx.data_unchecked::<Catalog>().feed(after, page).await?;
        Ok(VideoPage::new(rows, Total::Feed(after)))
    }

    /// One uploader's videos, newest first, with their total.
    async fn videos_by_author(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<VideoPage> {
        VideoPage::of_author(ctx, parse_id(&user_id)?, page_num, page_size).await
    }

    /// The most visited videos (served from the Redis ranking of the top 10 000 by default).
    async fn popular(
        &self,
        ctx: &Context<'_>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<VideoPage> {
        let page = Page::new(page_num, page_size)?;
        let rows = ctx.data_unchecked::<Catalog>().popular(page).await?;
        Ok(VideoPage::new(rows, Total::Popular))
    }

    /// Federation entity resolver (`Video @key(fields: "id")`), batched.
    #[graphql(entity)]
    async fn find_video_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Video>> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<DataLoader<VideoLoader>>()
            .load_one(id)
            .await?
            .map(Video))
    }

    /// Federation entity resolver for this subgraph's `User` fields (no lookup: any id has a list).
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Result<User> {
        Ok(User(parse_id(&id)?))
    }
}
