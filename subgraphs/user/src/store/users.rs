//! The `users` table.

use chrono::NaiveDateTime;
use sqlx::{MySqlPool, QueryBuilder};

/// A stored account (the password hash and MFA columns stay in this module's callers).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub avatar_key: Option<String>,
    pub mfa_secret: Option<Vec<u8>>,
    pub mfa_pending: Option<Vec<u8>>,
    pub mfa_last_step: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

const COLUMNS: &str = "id, username, password_hash, avatar_key, mfa_secret, mfa_pending, mfa_last_step, \
                       created_at, updated_at, deleted_at";

/// Inserts an account; a duplicate `username_key` fails with MySQL's duplicate-key error.
pub async fn insert(
    conn: &mut sqlx::MySqlConnection,
    id: i64,
    username: &str,
    key: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(username)
    .bind(key)
    .bind(password_hash)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await
    .map(drop)
}

pub async fn by_key(pool: &MySqlPool, key: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE username_key = ? AND deleted_at IS NULL"
    )))
    .bind(key)
    .fetch_optional(pool)
    .await
}

pub async fn by_id(pool: &MySqlPool, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    Ok(by_ids(pool, &[id]).await?.pop())
}

/// Live accounts among `ids`, in one query whatever the batch size.
pub async fn by_ids(pool: &MySqlPool, ids: &[i64]) -> Result<Vec<UserRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    kit::db::count_operation("users.by_ids");
    let mut q = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM users WHERE deleted_at IS NULL AND id IN ("
    ));
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    q.push(")");
    q.build_query_as().fetch_all(pool).await
}

/// Replaces the password hash of a live account; false if there is none.
pub async fn set_password<'e>(
    db: impl sqlx::MySqlExecutor<'e>,
    id: i64,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(password_hash)
    .bind(now)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the sealed secret offered by the QR code, until it is bound.
pub async fn set_mfa_pending(
    pool: &MySqlPool,
    id: i64,
    sealed: &[u8],
    now: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET mfa_pending = ?, updated_at = ? WHERE id = ?")
        .bind(sealed)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(drop)
}

/// Makes the pending secret the bound one, recording the step of the code that proved it.
pub async fn bind_mfa<'e>(
    db: impl sqlx::MySqlExecutor<'e>,
    id: i64,
    sealed: &[u8],
    step: i64,
    now: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET mfa_secret = ?, mfa_pending = NULL, mfa_last_step = ?, updated_at = ? WHERE id = ?")
        .bind(sealed)
        .bind(step)
        .bind(now)
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Records that the code of `step` was used; false if that step (or a later one) already was, so
/// two concurrent logins cannot both spend one code.
pub async fn spend_mfa_step(pool: &MySqlPool, id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET mfa_last_step = ? WHERE id = ? AND (mfa_last_step IS NULL OR mfa_last_step < ?)")
        .bind(step)
        .bind(id)
        .bind(step)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_avatar(
    conn: &mut sqlx::MySqlConnection,
    id: i64,
    key: &str,
    now: NaiveDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET avatar_key = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(key)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
