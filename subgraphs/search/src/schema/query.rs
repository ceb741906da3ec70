//! Reads: keyword search over videos and search by image.

use async_graphql::{Context, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use kit::page::Page;
use kit::scalars::Long;
use kit::{AppError, ErrorCode};
use sqlx::MySqlPool;

use super::types::{ImageHit, VideoSearchPage};
use crate::domain::tokens;
use crate::images::Images;
use crate::metrics;
use crate::store::query::{self, Filter};

/// Longest keyword string, in characters.
pub const MAX_KEYWORDS_CHARS: usize = 200;
/// Longest username filter, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;

pub struct Query;

fn invalid(message: impl Into<String>) -> AppError {
    AppError::with_message(ErrorCode::InvalidParameter, message.into())
}

/// Checks the search arguments and turns them into a [`Filter`].
pub fn filter(
    keywords: Option<&str>,
    username: Option<&str>,
    from_date: Option<i64>,
    to_date: Option<i64>,
) -> Result<Filter, AppError> {
    let keywords = keywords.unwrap_or("");
    if keywords.chars().count() > MAX_KEYWORDS_CHARS {
        return Err(invalid(format!(
            "keywords may have at most {MAX_KEYWORDS_CHARS} characters"
        )));
    }
    let query = tokens::Query::parse(keywords).map_err(invalid)?;
    let username = username.map(str::trim).filter(|u| !u.is_empty());
    if username.is_some_and(|u| u.chars().count() > MAX_USERNAME_CHARS) {
        return Err(invalid(format!(
            "username may have at most {MAX_USERNAME_CHARS} characters"
        )));
    }
    if from_date.is_some_and(|t| t < 0) || to_date.is_some_and(|t| t < 0) {
        return Err(invalid(
            "fromDate and toDate are milliseconds since 1970 and not negative",
        ));
    }
    if let (Some(from), Some(to)) = (from_date, to_date)
        && from > to
    {
        return Err(invalid("fromDate is after toDate"));
    }
    Ok(Filter {
        query,
        username: username.map(str::to_owned),
        from_ms: from_date,
        to_ms: to_date,
    })
}

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
        let filter = filter(
            keywords.as_deref(),
            username.as_deref(),
            from_date.map(|t| t.0),
            to_date.map(|t| t.0),
        )?;
        let page = Page::new(page_num, page_size)?;
        let ids = query::page(
            ctx.data_unchecked::<MySqlPool>(),
            &filter,
            page.offset(),
            page.limit(),
        )
        .await
        .map_err(AppError::internal)?;
        metrics::searched("keyword");
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
            return Err(crate::embed::too_large(images.max_bytes).into());
        }
        let bytes = STANDARD
            .decode(image_base64.trim())
            .map_err(|e| invalid(format!("imageBase64 is not base64: {e}")))?;
        let k = usize::try_from(limit.unwrap_or(10)).unwrap_or(0);
        let hits = images.search(Bytes::from(bytes), k).await?;
        Ok(hits.into_iter().map(ImageHit).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked() {
        assert!(filter(None, None, None, None).unwrap().query.is_none());
        assert!(filter(Some("猫 video"), Some(" ann "), Some(1), Some(2)).is_ok());
        for bad in [
            filter(Some(&"x".repeat(201)), None, None, None),
            filter(None, Some(&"u".repeat(65)), None, None),
            filter(None, None, Some(-1), None),
            filter(None, None, Some(5), Some(4)),
        ] {
            assert_eq!(bad.unwrap_err().code(), ErrorCode::InvalidParameter);
        }
        assert_eq!(
            filter(None, Some("  "), None, None).unwrap().username,
            None,
            "a blank username is no condition"
        );
    }
}
