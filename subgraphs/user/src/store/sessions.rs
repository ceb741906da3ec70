//! The `sessions` table: one row per login, holding the refresh token rotation.

use chrono::NaiveDateTime;
use sqlx::MySqlPool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub current_jti: i64,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub async fn create(
    pool: &MySqlPool,
    id: i64,
    user_id: i64,
    jti: i64,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sessions (id, user_id, current_jti, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(user_id)
        .bind(jti)
        .bind(expires_at)
        .bind(now)
        .execute(pool)
        .await
        .map(drop)
}

pub async fn get(pool: &MySqlPool, id: i64) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, current_jti, expires_at, revoked_at FROM sessions WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Moves the session from `old_jti` to `new_jti`; false if another refresh got there first.
pub async fn rotate(
    pool: &MySqlPool,
    id: i64,
    old_jti: i64,
    new_jti: i64,
    expires_at: NaiveDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET current_jti = ?, expires_at = ? WHERE id = ? AND current_jti = ? AND revoked_at IS NULL",
    )
    .bind(new_jti)
    .bind(expires_at)
    .bind(id)
    .bind(old_jti)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of a user (password change).
pub async fn revoke_all<'e>(
    db: impl sqlx::MySqlExecutor<'e>,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

pub async fn revoke(pool: &MySqlPool, id: i64, now: NaiveDateTime) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(drop)
}

/// Ids of the sessions revoked at or after `since`, oldest first, at most `limit` (the router's
/// revocation feed; served by `ix_sessions_revoked`).
pub async fn revoked_since(
    pool: &MySqlPool,
    since: NaiveDateTime,
    limit: u32,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM sessions WHERE revoked_at >= ? ORDER BY revoked_at, id LIMIT ?",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(pool)
    .await
}
