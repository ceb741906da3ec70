//! Reads: keyword search over videos and search by image.

use async_graphql::{Context, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use kit::page::Page;
use kit::scalars::Long;

use super::types::{ImageHit, VideoSearchPage};
use crate::adapters::embed;
use crate::error::SearchError;
use crate::usecases::images::Images;
use crate::usecases::keywords::{self, Keywords};

pub struct Query;

#[Object]
impl Query {
    /// Videos matching every condition given, newest first: all `keywords` in the title or
    /// description (Chinese and English; empty means no keyword condition), published between
    /// `fromDate` and `toDate` (ms, inclusive), by an author whose username contains `username`.
    /// `pageNum` counts from 0; `pageSize` is 1-100 (default 10).
    #[allow(clippy::too_many_arguments)]
    async fn search_videos(
        &self,
        ctx: &Context<'_>,
        keywords: Option<String>,
        username: Option<String>,
        from_date: Option<Long>,
        to_date: Option<Long>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<VideoSearchPage> {
        let filter = keywords::filter(
            keywords.as_deref(),
            username.as_deref(),
            from_date.map(|t| t.0),
            to_date.map(|t| t.0),
        )?;
        let page = Page::new(page_num, page_size)?;
        let ids = ctx.data_unchecked::<Keywords>().page(&filter, page).await?;
        Ok(VideoSearchPage { ids, filter })
    }

    /// The stored images most like `imageBase64` (a JPEG, PNG, GIF or WebP, base64), best first;
    /// `limit` 1-100 (default 10).
    async fn search_images(
        &self,
        ctx: &Context<'_>,
        image_base64: String,
        limit: Option<i32>,
    ) -> Result<Vec<ImageHit>> {
        let images = ctx.data_unchecked::<Images>();
        // Base64 is 4/3 of the bytes; refuse before decoding anything larger than allowed.
        if image_base64.len() > images.max_bytes / 3 * 4 + 4 {
            return Err(embed::too_large(images.max_bytes).into());
        }
        let bytes = STANDARD
            .decode(image_base64.trim())
            .map_err(|e| SearchError::invalid(format!("imageBase64 is not base64: {e}")))?;
        let k = usize::try_from(limit.unwrap_or(10)).unwrap_or(0);
        let hits = images.search(Bytes::from(bytes), k).await?;
        Ok(hits.into_iter().map(ImageHit).collect())
    }
}
