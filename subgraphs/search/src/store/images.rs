//! Image records: id (also the vector's id in Milvus) → object key, source and content hash.

use chrono::NaiveDateTime;
use sqlx::MySqlPool;

use crate::domain::events::Source;

/// One indexed image.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImageRow {
    pub id: i64,
    pub object_key: String,
    pub source: String,
    pub source_id: Option<i64>,
}

/// Records an image, or returns the id already recorded for `object_key` (replays and retries
/// index the same object under the same id).
pub async fn upsert(
    pool: &MySqlPool,
    id: i64,
    object_key: &str,
    source: Source,
    source_id: Option<i64>,
    sha256: &[u8; 32],
    at: NaiveDateTime,
) -> Result<i64, sqlx::Error> {
    kit::db::count_operation("images.upsert");
    sqlx::query(
        "INSERT INTO images (id, object_key, source, source_id, sha256, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE sha256 = VALUES(sha256)",
    )
    .bind(id)
    .bind(object_key)
    .bind(source.as_str())
    .bind(source_id)
    .bind(&sha256[..])
    .bind(at)
    .execute(pool)
    .await?;
    sqlx::query_scalar("SELECT id FROM images WHERE object_key = ?")
        .bind(object_key)
        .fetch_one(pool)
        .await
}

/// The images of one source object (a video's cover, a user's avatars) other than `keep`.
pub async fn of_source(
    pool: &MySqlPool,
    source: Source,
    source_id: i64,
    keep: Option<&str>,
) -> Result<Vec<i64>, sqlx::Error> {
    kit::db::count_operation("images.of_source");
    sqlx::query_scalar(
        "SELECT id FROM images WHERE source = ? AND source_id = ? AND object_key <> ?",
    )
    .bind(source.as_str())
    .bind(source_id)
    .bind(keep.unwrap_or(""))
    .fetch_all(pool)
    .await
}

/// Forgets images (their vectors must already be gone from Milvus).
pub async fn remove(pool: &MySqlPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    kit::db::count_operation("images.remove");
    let mut sql = sqlx::QueryBuilder::<sqlx::MySql>::new("DELETE FROM images WHERE id IN (");
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    sql.push(")");
    sql.build().execute(pool).await?;
    Ok(())
}

/// The records of `ids`, in no particular order (ids without a record are left out).
pub async fn by_ids(pool: &MySqlPool, ids: &[i64]) -> Result<Vec<ImageRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    kit::db::count_operation("images.by_ids");
    let mut sql = sqlx::QueryBuilder::<sqlx::MySql>::new(
        "SELECT id, object_key, source, source_id FROM images WHERE id IN (",
    );
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    sql.push(")");
    sql.build_query_as().fetch_all(pool).await
}

/// How many images are recorded.
pub async fn count(pool: &MySqlPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM images")
        .fetch_one(pool)
        .await
}
