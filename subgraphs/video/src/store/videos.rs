//! The `videos` table. Reads return only live videos (not deleted) unless their name says otherwise.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sqlx::{MySqlConnection, MySqlPool, QueryBuilder};

use crate::domain::video::NewVideo;

/// A stored video (serialisable: the popular list caches rows in Redis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct VideoRow {
    pub id: i64,
    pub author_id: i64,
    pub upload_id: String,
    pub object_key: String,
    pub cover_key: Option<String>,
    pub title: String,
    pub description: String,
    pub size_bytes: Option<i64>,
    pub checksum: Option<String>,
    pub content_type: Option<String>,
    pub duration_ms: Option<i64>,
    pub visit_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// Cover extraction state (`cover_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub enum CoverStatus {
    Pending = 0,
    Extracted = 1,
    Default = 2,
}

macro_rules! columns {
    () => {
        "id, author_id, upload_id, object_key, cover_key, title, description, size_bytes, checksum, \
         content_type, duration_ms, visit_count, created_at, updated_at, deleted_at"
    };
}

// The read statements, public so a test can EXPLAIN exactly these (index named on each).

/// `uk_videos_upload`.
pub const BY_UPLOAD: &str = concat!("SELECT ", columns!(), " FROM videos WHERE upload_id = ?");
/// `ix_videos_feed`: range on `created_at` under `deleted_at IS NULL`, read backwards (no sort).
pub const FEED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM videos WHERE deleted_at IS NULL AND created_at > ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
);
/// `ix_videos_feed`, index only.
pub const COUNT_FEED: &str =
    "SELECT COUNT(*) FROM videos WHERE deleted_at IS NULL AND created_at > ?";
/// `ix_videos_author`: equality on the author, then the index order.
pub const BY_AUTHOR: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM videos WHERE author_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
);
/// `ix_videos_visits`, read backwards (no sort).
pub const MOST_VISITED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM videos WHERE deleted_at IS NULL ORDER BY visit_count DESC, id DESC LIMIT ? OFFSET ?"
);
/// `ix_videos_visits`, index only.
pub const TOP_COUNTS: &str =
    "SELECT id, visit_count FROM videos WHERE deleted_at IS NULL ORDER BY visit_count DESC LIMIT ?";

/// The feed's lower bound when no `latestTime` is given (DATETIME cannot hold `NaiveDateTime::MIN`).
const EPOCH: NaiveDateTime = chrono::DateTime::UNIX_EPOCH.naive_utc();

fn op(name: &str) {
    kit::db::count_operation(name);
}

/// Inserts a video; a second insert of the same upload id fails with a duplicate-key error.
pub async fn insert(
    conn: &mut MySqlConnection,
    id: i64,
    v: &NewVideo,
    now: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    op("videos.insert");
    sqlx::query(
        "INSERT INTO videos (id, author_id, upload_id, object_key, title, description, size_bytes, checksum, \
         content_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(v.author_id)
    .bind(&v.upload_id)
    .bind(&v.object_key)
    .bind(&v.title)
    .bind(&v.description)
    .bind(v.size_bytes)
    .bind(&v.checksum)
    .bind(&v.content_type)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await
    .map(drop)
}

/// The video of an upload, deleted or not (`uk_videos_upload`).
pub async fn by_upload(pool: &MySqlPool, upload_id: &str) -> Result<Option<VideoRow>, sqlx::Error> {
    op("videos.by_upload");
    sqlx::query_as(BY_UPLOAD)
        .bind(upload_id)
        .fetch_optional(pool)
        .await
}

/// Live videos among `ids`, in one query whatever the batch size (`PRIMARY`).
pub async fn by_ids(pool: &MySqlPool, ids: &[i64]) -> Result<Vec<VideoRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    op("videos.by_ids");
    let mut q = QueryBuilder::new(concat!(
        "SELECT ",
        columns!(),
        " FROM videos WHERE deleted_at IS NULL AND id IN ("
    ));
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(")");
    q.build_query_as().fetch_all(pool).await
}

/// The feed: live videos newest first, created after `after` when given (`ix_videos_feed`).
pub async fn feed(
    pool: &MySqlPool,
    after: Option<NaiveDateTime>,
    limit: i64,
    offset: i64,
) -> Result<Vec<VideoRow>, sqlx::Error> {
    op("videos.feed");
    sqlx::query_as(FEED)
        .bind(after.unwrap_or(EPOCH))
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
}

/// How many live videos the feed has after `after` (`ix_videos_feed`).
pub async fn count_feed(
    pool: &MySqlPool,
    after: Option<NaiveDateTime>,
) -> Result<i64, sqlx::Error> {
    op("videos.count_feed");
    sqlx::query_scalar(COUNT_FEED)
        .bind(after.unwrap_or(EPOCH))
        .fetch_one(pool)
        .await
}

/// One uploader's live videos, newest first (`ix_videos_author`).
pub async fn by_author(
    pool: &MySqlPool,
    author_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<VideoRow>, sqlx::Error> {
    op("videos.by_author");
    sqlx::query_as(BY_AUTHOR)
        .bind(author_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
}

/// Live video counts of `authors`, one query per batch (`ix_videos_author`); absent means 0.
pub async fn counts_by_authors(
    pool: &MySqlPool,
    authors: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if authors.is_empty() {
        return Ok(Vec::new());
    }
    op("videos.counts_by_authors");
    let mut q = QueryBuilder::new(
        "SELECT author_id, COUNT(*) FROM videos WHERE deleted_at IS NULL AND author_id IN (",
    );
    let mut list = q.separated(", ");
    for id in authors {
        list.push_bind(*id);
    }
    q.push(") GROUP BY author_id");
    q.build_query_as().fetch_all(pool).await
}

/// The most visited live videos with their counts (`ix_videos_visits`).
pub async fn most_visited(
    pool: &MySqlPool,
    limit: i64,
    offset: i64,
) -> Result<Vec<VideoRow>, sqlx::Error> {
    op("videos.most_visited");
    sqlx::query_as(MOST_VISITED)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
}

/// Id and visit count of the `limit` most visited live videos (`ix_videos_visits`, index only).
pub async fn top_counts(pool: &MySqlPool, limit: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    op("videos.top_counts");
    sqlx::query_as(TOP_COUNTS).bind(limit).fetch_all(pool).await
}

/// Current visit counts of live videos among `ids` (`PRIMARY`).
pub async fn visit_counts(pool: &MySqlPool, ids: &[i64]) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    op("videos.visit_counts");
    let mut q = QueryBuilder::new(
        "SELECT id, visit_count FROM videos WHERE deleted_at IS NULL AND id IN (",
    );
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(")");
    q.build_query_as().fetch_all(pool).await
}

/// Marks a live video of `author_id` deleted; false when there is no such video (`PRIMARY`).
pub async fn soft_delete(
    conn: &mut MySqlConnection,
    id: i64,
    author_id: i64,
    now: NaiveDateTime,
) -> Result<bool, sqlx::Error> {
    op("videos.soft_delete");
    let done = sqlx::query(
        "UPDATE videos SET deleted_at = ?, updated_at = ? WHERE id = ? AND author_id = ? AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(now)
    .bind(id)
    .bind(author_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the outcome of cover extraction (`PRIMARY`).
pub async fn set_cover(
    conn: &mut MySqlConnection,
    id: i64,
    status: CoverStatus,
    cover_key: Option<&str>,
    duration_ms: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    op("videos.set_cover");
    sqlx::query(
        "UPDATE videos SET cover_status = ?, cover_key = ?, duration_ms = COALESCE(?, duration_ms), \
         updated_at = ? WHERE id = ?",
    )
    .bind(status as i8)
    .bind(cover_key)
    .bind(duration_ms)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(drop)
}

/// Videos whose cover is still to be extracted, oldest first (`ix_videos_cover`).
pub async fn pending_covers(
    pool: &MySqlPool,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    op("videos.pending_covers");
    sqlx::query_as(
        "SELECT id, object_key FROM videos WHERE cover_status = 0 AND deleted_at IS NULL ORDER BY id LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
