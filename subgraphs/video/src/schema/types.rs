//! GraphQL object types: `Video` (entity), this subgraph's fields of `User`, and `VideoPage`.

use super::loader::VideoCountLoader;
use crate::store::videos::VideoRow;
use crate::usecases::Catalog;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use kit::page::Page;
use kit::s3::ObjectUrls;

pub use kit::scalars::Long;

/// The default cover's object key (videos whose cover is not extracted show it).
#[derive(Clone)]
pub struct DefaultCover(pub String);

/// A published video.
pub struct Video(pub VideoRow);

#[Object]
impl Video {
    /// Time-ordered 64-bit id, as a string.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The uploader (resolved by the user subgraph).
    async fn author(&self) -> User {
        User(self.0.author_id)
    }

    /// Where the video can be fetched (presigned or public, per the service's `urls` config).
    async fn video_url(&self, ctx: &Context<'_>) -> String {
        ctx.data_unchecked::<ObjectUrls>()
            .url(Some(&self.0.object_key))
    }

    /// The cover image: a frame of the video once extracted, the default cover until then.
    async fn cover_url(&self, ctx: &Context<'_>) -> String {
        let default = &ctx.data_unchecked::<DefaultCover>().0;
        let key = self.0.cover_key.as_deref().unwrap_or(default);
        ctx.data_unchecked::<ObjectUrls>().url(Some(key))
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Visits counted so far (visits are folded in within seconds).
    async fn visit_count(&self) -> i64 {
        self.0.visit_count
    }

    /// Length in milliseconds, once the cover extraction probed it.
    async fn duration_ms(&self) -> Option<i64> {
        self.0.duration_ms
    }

    /// Size of the uploaded file in bytes.
    async fn size_bytes(&self) -> Option<Long> {
        self.0.size_bytes.map(Long)
    }

    /// Content type verified from the bytes by the upload service.
    async fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// Upload time (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at.and_utc()
    }

    /// Set once deleted (a deleted video is never returned by lists or lookups).
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at.map(|t| t.and_utc())
    }
}

/// A user, as far as videos go (the user subgraph owns the rest).
pub struct User(pub i64);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }

    /// The user's videos, newest first (`pageNum` from 0, `pageSize` 1-100, default 10).
    async fn videos(
        &self,
        ctx: &Context<'_>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<VideoPage> {
        VideoPage::of_author(ctx, self.0, page_num, page_size).await
    }

    /// How many live videos the user uploaded.
    async fn video_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(ctx
            .data_unchecked::<DataLoader<VideoCountLoader>>()
            .load_one(self.0)
            .await?
            .unwrap_or(0))
    }
}

/// What a page's `total` counts (computed only when asked for).
pub enum Total {
    Feed(Option<i64>),
    Author(i64),
    Popular,
}

/// One page of videos.
pub struct VideoPage {
    items: Vec<Video>,
    total: Total,
}

impl VideoPage {
    /// A page of one uploader's videos (`Query.videosByAuthor` and `User.videos`).
    pub async fn of_author(
        ctx: &Context<'_>,
        author: i64,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<Self> {
        let page = Page::new(page_num, page_size)?;
        let rows = ctx
            .data_unchecked::<Catalog>()
            .by_author(author, page)
            .await?;
        Ok(Self::new(rows, Total::Author(author)))
    }

    pub fn new(rows: Vec<VideoRow>, total: Total) -> Self {
        Self {
            items: rows.into_iter().map(Video).collect(),
            total,
        }
    }
}

#[Object]
impl VideoPage {
    /// The page's videos (an empty list past the end).
    async fn items(&self) -> &[Video] {
        &self.items
    }

    /// Every match, not just this page.
    async fn total(&self, ctx: &Context<'_>) -> Result<i64> {
        let catalog = ctx.data_unchecked::<Catalog>();
        Ok(match self.total {
            Total::Feed(after) => catalog.feed_total(after).await?,
            Total::Author(id) => ctx
                .data_unchecked::<DataLoader<VideoCountLoader>>()
                .load_one(id)
                .await?
                .unwrap_or(0),
            Total::Popular => catalog.popular_total().await?,
        })
    }
}

/// Parses an id argument; a non-numeric id is a parameter error.
pub fn parse_id(id: &ID) -> Result<i64, kit::AppError> {
    kit::id::parse(id)
}
