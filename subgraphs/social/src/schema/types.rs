//! GraphQL object types: this subgraph's fields of `Video` and `User`, the `Comment` entity, and
//! the pages (`CommentPage`, `UserList`, `LikedVideoPage`) whose `total` is computed when asked.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use kit::page::Page;

use super::loader::{CommentLoader, CounterLoader, FollowedLoader, LikedLoader};
use super::viewer;
use crate::domain::events::Counter;
use crate::store::comments::{CommentRow, Of};
use crate::store::follows::List;
use crate::usecases::Social;

async fn count(ctx: &Context<'_>, counter: Counter) -> Result<i64> {
    Ok(ctx
        .data_unchecked::<DataLoader<CounterLoader>>()
        .load_one(counter)
        .await?
        .unwrap_or(0))
}

fn social<'a>(ctx: &'a Context<'_>) -> &'a Social {
    ctx.data_unchecked::<Social>()
}

/// A video, as far as likes and comments go (the video subgraph owns the rest).
pub struct Video(pub i64);

#[Object]
impl Video {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }

    /// Likes, folded from events (seconds behind the latest like).
    async fn like_count(&self, ctx: &Context<'_>) -> Result<i64> {
        count(ctx, Counter::VideoLikes(self.0)).await
    }

    /// Live comments and replies, folded from events.
    async fn comment_count(&self, ctx: &Context<'_>) -> Result<i64> {
        count(ctx, Counter::VideoComments(self.0)).await
    }

    /// Top-level comments, newest first (`pageNum` from 0, `pageSize` 1-100, default 10).
    async fn comments(&self, page_num: Option<i32>, page_size: Option<i32>) -> Result<CommentPage> {
        CommentPage::load(Of::Video(self.0), page_num, page_size)
    }

    /// Whether the signed-in viewer liked it (false for anonymous viewers).
    async fn is_liked(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(viewer) = viewer(ctx) else {
            return Ok(false);
        };
        Ok(ctx
            .data_unchecked::<DataLoader<LikedLoader>>()
            .load_one((viewer, self.0))
            .await?
            .unwrap_or(false))
    }
}

/// A comment on a video, or a reply to a comment.
pub struct Comment(pub CommentRow);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The author (resolved by the user subgraph).
    async fn author(&self) -> User {
        User(self.0.author_id)
    }

    /// The video commented on (resolved by the video subgraph).
    async fn video(&self) -> Video {
        Video(self.0.video_id)
    }

    /// The comment replied to; null for a top-level comment.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Comment>> {
        let Some(parent) = self.0.parent() else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<DataLoader<CommentLoader>>()
            .load_one(parent)
            .await?
            .map(Comment))
    }

    async fn like_count(&self, ctx: &Context<'_>) -> Result<i64> {
        count(ctx, Counter::CommentLikes(self.0.id)).await
    }

    /// Live direct replies.
    async fn child_count(&self, ctx: &Context<'_>) -> Result<i64> {
        count(ctx, Counter::CommentReplies(self.0.id)).await
    }

    /// Direct replies, newest first.
    async fn replies(&self, page_num: Option<i32>, page_size: Option<i32>) -> Result<CommentPage> {
        CommentPage::load(Of::Parent(self.0.id), page_num, page_size)
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at.and_utc()
    }

    /// Set once deleted (a deleted comment is never returned).
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at.map(|t| t.and_utc())
    }
}

/// A user, as far as follows and likes go (the user subgraph owns the rest).
pub struct User(pub i64);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }

    async fn follower_count(&self, ctx: &Context<'_>) -> Result<i64> {
        count(ctx, Counter::Followers(self.0)).await
    }

    async fn following_count(&self, ctx: &Context<'_>) -> Result<i64> {
        count(ctx, Counter::Following(self.0)).await
    }

    /// Whether the signed-in viewer follows this user (false for anonymous viewers).
    async fn is_followed(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(viewer) = viewer(ctx) else {
            return Ok(false);
        };
        Ok(ctx
            .data_unchecked::<DataLoader<FollowedLoader>>()
            .load_one((viewer, self.0))
            .await?
            .unwrap_or(false))
    }

    /// Videos this user liked, newest like first.
    async fn liked_videos(
        &self,
        ctx: &Context<'_>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<LikedVideoPage> {
        LikedVideoPage::load(ctx, self.0, page_num, page_size).await
    }

    /// Users this user follows, newest first.
    async fn following(
        &self,
        ctx: &Context<'_>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<UserList> {
        UserList::load(ctx, List::Following(self.0), page_num, page_size).await
    }

    /// Users following this user, newest first.
    async fn followers(
        &self,
        ctx: &Context<'_>,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<UserList> {
        UserList::load(ctx, List::Followers(self.0), page_num, page_size).await
    }
}

/// One page of comments.
pub struct CommentPage {
    of: Of,
    page: Page,
}

impl CommentPage {
    pub fn load(of: Of, page_num: Option<i32>, page_size: Option<i32>) -> Result<Self> {
        Ok(Self {
            of,
            page: Page::new(page_num, page_size)?,
        })
    }
}

#[Object]
impl CommentPage {
    /// The page's comments (an empty list past the end).
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<Comment>> {
        let rows = social(ctx).comment_page(self.of, self.page).await?;
        Ok(rows.into_iter().map(Comment).collect())
    }

    /// Every comment of the list, not just this page.
    async fn total(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(social(ctx).comment_total(self.of).await?)
    }
}

/// One page of users.
pub struct UserList {
    list: List,
    items: Vec<i64>,
}

impl UserList {
    pub async fn load(
        ctx: &Context<'_>,
        list: List,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<Self> {
        let page = Page::new(page_num, page_size)?;
        let items = social(ctx).follow_page(list, page).await?;
        Ok(Self { list, items })
    }
}

#[Object]
impl UserList {
    async fn items(&self) -> Vec<User> {
        self.items.iter().copied().map(User).collect()
    }

    /// Every user of the list, not just this page.
    async fn total(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(social(ctx).follow_total(self.list).await?)
    }
}

/// One page of liked videos.
pub struct LikedVideoPage {
    user: i64,
    items: Vec<i64>,
}

impl LikedVideoPage {
    pub async fn load(
        ctx: &Context<'_>,
        user: i64,
        page_num: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<Self> {
        let page = Page::new(page_num, page_size)?;
        let items = social(ctx).liked_videos(user, page).await?;
        Ok(Self { user, items })
    }
}

#[Object]
impl LikedVideoPage {
    async fn items(&self) -> Vec<Video> {
        self.items.iter().copied().map(Video).collect()
    }

    /// Every live video the user liked, not just this page.
    async fn total(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(social(ctx).liked_videos_total(self.user).await?)
    }
}
