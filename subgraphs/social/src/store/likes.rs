//! Likes of videos (`target_kind` 1) and of comments (2), in the shard of their video.
//! Reads: the primary key `(target_kind, target_id, user_id)` for one like and for "which of these
//! videos did the viewer like"; `ix_likes_user` for a user's liked videos, merged across shards.

use chrono::NaiveDateTime;
use sqlx::{MySqlConnection, MySqlPool, QueryBuilder};

use super::shards::Shards;

pub const VIDEO: i8 = 1;
pub const COMMENT: i8 = 2;

/// Adds a like only while its video is live: the row's `video_id` comes from `known_videos`, so an
/// unknown or deleted video inserts nothing. One statement instead of a check and an insert (the
/// like path's round trips, `docs/profiling.md`).
pub const INSERT: &str = "INSERT INTO likes_{s} (target_kind, target_id, user_id, video_id, created_at) \
    SELECT ?, ?, ?, v.id, ? FROM known_videos v WHERE v.id = ? AND v.deleted_at IS NULL";
/// Removes a like only while its video is live (as [`INSERT`]).
pub const DELETE: &str = "DELETE l FROM likes_{s} l \
    JOIN known_videos v ON v.id = l.video_id AND v.deleted_at IS NULL \
    WHERE l.target_kind = ? AND l.target_id = ? AND l.user_id = ?";
/// A user's liked live videos in one shard, newest first (the first `?` rows).
pub const BY_USER: &str = "SELECT l.target_id, l.created_at FROM likes_{s} l \
    JOIN known_videos v ON v.id = l.target_id AND v.deleted_at IS NULL \
    WHERE l.user_id = ? AND l.target_kind = 1 \
    ORDER BY l.created_at DESC, l.target_id DESC LIMIT ?";
pub const COUNT_BY_USER: &str = "SELECT COUNT(*) FROM likes_{s} l \
    JOIN known_videos v ON v.id = l.target_id AND v.deleted_at IS NULL \
    WHERE l.user_id = ? AND l.target_kind = 1";
/// Like counts per target in one shard (the counter rebuild).
pub const COUNTS: &str =
    "SELECT target_kind, target_id, COUNT(*) FROM likes_{s} GROUP BY target_kind, target_id";

/// Adds a like of a target of a live video: false when the video is unknown or deleted (nothing
/// written); a duplicate key error means the like exists already.
pub async fn insert(
    conn: &mut MySqlConnection,
    shards: &Shards,
    kind: i8,
    target: i64,
    user: i64,
    video: i64,
    at: NaiveDateTime,
) -> Result<bool, sqlx::Error> {
    kit::db::count_operation("likes.insert");
    let done = sqlx::query(shards.sql(INSERT, shards.of(video)))
        .bind(kind)
        .bind(target)
        .bind(user)
        .bind(at)
        .bind(video)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a like of a target of a live video; false when there was none or the video is not live.
pub async fn delete(
    conn: &mut MySqlConnection,
    shards: &Shards,
    kind: i8,
    target: i64,
    user: i64,
    video: i64,
) -> Result<bool, sqlx::Error> {
    kit::db::count_operation("likes.delete");
    let done = sqlx::query(shards.sql(DELETE, shards.of(video)))
        .bind(kind)
        .bind(target)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `videos` `user` liked.
pub async fn liked_among(
    pool: &MySqlPool,
    shards: &Shards,
    user: i64,
    videos: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    let mut liked = Vec::new();
    for (shard, ids) in shards.group(videos) {
        kit::db::count_operation("likes.liked_among");
        let mut q = QueryBuilder::new(format!(
            "SELECT target_id FROM likes_{shard} WHERE target_kind = 1 AND user_id = "
        ));
        q.push_bind(user).push(" AND target_id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        q.push(")");
        liked.extend(q.build_query_scalar::<i64>().fetch_all(pool).await?);
    }
    Ok(liked)
}

/// One page of the live videos `user` liked, newest like first: each shard gives its first
/// `offset + limit` rows, merged here (the page cap bounds the offset).
pub async fn liked_videos(
    pool: &MySqlPool,
    shards: &Shards,
    user: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut rows: Vec<(i64, NaiveDateTime)> = Vec::new();
    for shard in shards.all() {
        kit::db::count_operation("likes.by_user");
        let part: Vec<(i64, NaiveDateTime)> = sqlx::query_as(shards.sql(BY_USER, shard))
            .bind(user)
            .bind(offset + limit)
            .fetch_all(pool)
            .await?;
        rows.extend(part);
    }
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    Ok(rows
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(id, _)| id)
        .collect())
}

/// How many live videos `user` liked.
pub async fn count_liked_videos(
    pool: &MySqlPool,
    shards: &Shards,
    user: i64,
) -> Result<i64, sqlx::Error> {
    let mut total = 0;
    for shard in shards.all() {
        kit::db::count_operation("likes.count_by_user");
        let n: i64 = sqlx::query_scalar(shards.sql(COUNT_BY_USER, shard))
            .bind(user)
            .fetch_one(pool)
            .await?;
        total += n;
    }
    Ok(total)
}
