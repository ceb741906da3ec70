//! Comments, in the shard of their video (a comment's id falls in the same shard). `parent_id` is 0
//! for a comment on the video, else the comment replied to. Deleting a comment deletes its replies
//! too (soft delete: `deleted_at`), so every list and count leaves out the whole subtree.
//! Reads: the primary key; `ix_comments_video` for a video's top-level comments;
//! `ix_comments_parent` for replies.

use chrono::NaiveDateTime;
use sqlx::{MySqlConnection, MySqlPool, QueryBuilder};

use super::shards::Shards;

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommentRow {
    pub id: i64,
    pub video_id: i64,
    pub parent_id: i64,
    pub author_id: i64,
    pub content: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl CommentRow {
    /// The comment replied to, if this is a reply.
    pub fn parent(&self) -> Option<i64> {
        (self.parent_id != 0).then_some(self.parent_id)
    }
}

const COLUMNS: &str =
    "id, video_id, parent_id, author_id, content, created_at, updated_at, deleted_at";

pub const INSERT: &str = "INSERT INTO comments_{s} (id, video_id, parent_id, author_id, content, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
pub const BY_VIDEO: &str = "SELECT id, video_id, parent_id, author_id, content, created_at, updated_at, deleted_at FROM comments_{s} \
    WHERE video_id = ? AND parent_id = 0 AND deleted_at IS NULL ORDER BY id DESC LIMIT ? OFFSET ?";
pub const COUNT_BY_VIDEO: &str =
    "SELECT COUNT(*) FROM comments_{s} WHERE video_id = ? AND parent_id = 0 AND deleted_at IS NULL";
pub const BY_PARENT: &str = "SELECT id, video_id, parent_id, author_id, content, created_at, updated_at, deleted_at FROM comments_{s} \
    WHERE parent_id = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ? OFFSET ?";
pub const COUNT_BY_PARENT: &str =
    "SELECT COUNT(*) FROM comments_{s} WHERE parent_id = ? AND deleted_at IS NULL";
/// Live comments per video and live replies per comment in one shard (the counter rebuild).
pub const VIDEO_COUNTS: &str =
    "SELECT video_id, COUNT(*) FROM comments_{s} WHERE deleted_at IS NULL GROUP BY video_id";
pub const REPLY_COUNTS: &str = "SELECT parent_id, COUNT(*) FROM comments_{s} WHERE parent_id <> 0 AND deleted_at IS NULL GROUP BY parent_id";

pub async fn insert(
    conn: &mut MySqlConnection,
    shards: &Shards,
    row: &CommentRow,
) -> Result<(), sqlx::Error> {
    kit::db::count_operation("comments.insert");
    sqlx::query(shards.sql(INSERT, shards.of(row.id)))
        .bind(row.id)
        .bind(row.video_id)
        .bind(row.parent_id)
        .bind(row.author_id)
        .bind(&row.content)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(drop)
}

/// A live comment, locked against deletion (`FOR SHARE`, for a reply) or for it (`FOR UPDATE`).
pub async fn lock_live(
    conn: &mut MySqlConnection,
    shards: &Shards,
    id: i64,
    exclusive: bool,
) -> Result<Option<CommentRow>, sqlx::Error> {
    kit::db::count_operation("comments.lock");
    let mode = if exclusive {
        "FOR UPDATE"
    } else {
        "LOCK IN SHARE MODE"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM comments_{} WHERE id = ? AND deleted_at IS NULL {mode}",
        shards.of(id)
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Live comments among `ids` (any order).
pub async fn by_ids(
    pool: &MySqlPool,
    shards: &Shards,
    ids: &[i64],
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for (shard, ids) in shards.group(ids) {
        kit::db::count_operation("comments.by_ids");
        let mut q = QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM comments_{shard} WHERE deleted_at IS NULL AND id IN ("
        ));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        q.push(")");
        rows.extend(q.build_query_as::<CommentRow>().fetch_all(pool).await?);
    }
    Ok(rows)
}

/// Most ids bound in one statement: MySQL takes at most 65,535 placeholders, so a subtree larger
/// than that is read and deleted in batches (one transaction still).
pub const BATCH: usize = 10_000;

/// The live replies below `root` (any depth) as `(id, parent id)`, locked, breadth first.
pub async fn lock_subtree(
    conn: &mut MySqlConnection,
    shards: &Shards,
    root: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let shard = shards.of(root);
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for batch in frontier.chunks(BATCH) {
            kit::db::count_operation("comments.lock_replies");
            let mut q = QueryBuilder::new(format!(
                "SELECT id, parent_id FROM comments_{shard} WHERE deleted_at IS NULL AND parent_id IN ("
            ));
            let mut list = q.separated(", ");
            for id in batch {
                list.push_bind(*id);
            }
            q.push(") FOR UPDATE");
            let level: Vec<(i64, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
            next.extend(level.iter().map(|(id, _)| *id));
            found.extend(level);
        }
        frontier = next;
    }
    Ok(found)
}

/// Marks `ids` (all in one shard) deleted, [`BATCH`] at a time.
pub async fn soft_delete(
    conn: &mut MySqlConnection,
    shards: &Shards,
    ids: &[i64],
    at: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    let Some(first) = ids.first() else {
        return Ok(());
    };
    let shard = shards.of(*first);
    for batch in ids.chunks(BATCH) {
        kit::db::count_operation("comments.delete");
        let mut q = QueryBuilder::new(format!("UPDATE comments_{shard} SET deleted_at = "));
        q.push_bind(at).push(", updated_at = ").push_bind(at);
        q.push(" WHERE id IN (");
        let mut list = q.separated(", ");
        for id in batch {
            list.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// What a comment list is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    /// A video's top-level comments.
    Video(i64),
    /// A comment's direct replies.
    Parent(i64),
}

/// One page of a list, newest first.
pub async fn page(
    pool: &MySqlPool,
    shards: &Shards,
    of: Of,
    limit: i64,
    offset: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let (sql, id) = match of {
        Of::Video(v) => (BY_VIDEO, v),
        Of::Parent(p) => (BY_PARENT, p),
    };
    kit::db::count_operation("comments.page");
    sqlx::query_as(shards.sql(sql, shards.of(id)))
        .bind(id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
}

/// How many comments a list holds.
pub async fn count(pool: &MySqlPool, shards: &Shards, of: Of) -> Result<i64, sqlx::Error> {
    let (sql, id) = match of {
        Of::Video(v) => (COUNT_BY_VIDEO, v),
        Of::Parent(p) => (COUNT_BY_PARENT, p),
    };
    kit::db::count_operation("comments.count");
    sqlx::query_scalar(shards.sql(sql, shards.of(id)))
        .bind(id)
        .fetch_one(pool)
        .await
}
