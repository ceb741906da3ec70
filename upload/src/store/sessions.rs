//! The `uploads` and `upload_parts` tables. Reads by primary key; the sweeper reads
//! `uploads_expiry`. Every change of a session's progress (offset, tail, hash state, parts) is one
//! transaction, so what HEAD reports always matches what S3 and the tail hold.

use chrono::{NaiveDateTime, Utc};
use sqlx::{MySqlConnection, MySqlPool};

/// `uploads.state`.
pub const RECEIVING: i8 = 1;
pub const ASSEMBLED: i8 = 2;
pub const DONE: i8 = 3;

/// `uploads.concat`.
pub const PLAIN: i8 = 0;
pub const PARTIAL: i8 = 1;
pub const FINAL: i8 = 2;

/// One upload session as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub owner_id: i64,
    pub kind: i8,
    pub concat: i8,
    pub concat_of: String,
    pub length: Option<i64>,
    pub received: i64,
    pub resume_at: i64,
    pub metadata: String,
    pub title: String,
    pub description: String,
    pub filename: String,
    pub object_key: String,
    pub s3_upload_id: Option<String>,
    pub parts: i32,
    pub content_type: Option<String>,
    pub tail: Vec<u8>,
    pub sha256_state: Vec<u8>,
    pub checksum: String,
    pub state: i8,
    pub result_id: Option<i64>,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl Session {
    /// The offset a client should resume from (HEAD's `Upload-Offset`): until the upload is
    /// recorded, the start of the last chunk, so that resending it retries and reports the outcome.
    pub fn reported_offset(&self) -> i64 {
        if self.all_received() {
            self.resume_at
        } else {
            self.received
        }
    }

    /// Every byte is stored but the upload is not yet recorded (completion or registration
    /// failed, or is under way).
    pub fn all_received(&self) -> bool {
        self.state == ASSEMBLED || (self.state == RECEIVING && self.length == Some(self.received))
    }

    /// What the upload becomes (a stored code this service wrote; unknown codes read as video).
    pub fn kind(&self) -> crate::domain::kind::Kind {
        crate::domain::kind::Kind::from_code(self.kind).unwrap_or(crate::domain::kind::Kind::Video)
    }

    pub fn is_expired(&self) -> bool {
        self.expires_at <= Utc::now().naive_utc()
    }
}

const COLUMNS: &str = "id, owner_id, kind, concat, concat_of, length, received, resume_at, metadata, \
    title, description, filename, object_key, s3_upload_id, parts, content_type, tail, \
    sha256_state, checksum, state, result_id, expires_at, created_at";

/// Inserts a new session (its `received` is 0 and its tail empty).
pub async fn insert(pool: &MySqlPool, s: &Session) -> Result<(), sqlx::Error> {
    kit::db::count_operation("uploads.insert");
    sqlx::query(
        "INSERT INTO uploads (id, owner_id, kind, concat, concat_of, length, metadata, title, \
         description, filename, object_key, tail, sha256_state, expires_at, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)",
    )
    .bind(&s.id)
    .bind(s.owner_id)
    .bind(s.kind)
    .bind(s.concat)
    .bind(&s.concat_of)
    .bind(s.length)
    .bind(&s.metadata)
    .bind(&s.title)
    .bind(&s.description)
    .bind(&s.filename)
    .bind(&s.object_key)
    .bind(&s.sha256_state)
    .bind(s.expires_at)
    .bind(s.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// A session by id.
pub async fn get(pool: &MySqlPool, id: &str) -> Result<Option<Session>, sqlx::Error> {
    kit::db::count_operation("uploads.get");
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM uploads WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The sent parts, in order, as `(number, etag)`.
pub async fn parts(pool: &MySqlPool, id: &str) -> Result<Vec<(i32, String)>, sqlx::Error> {
    kit::db::count_operation("upload_parts.list");
    sqlx::query_as(
        "SELECT part_number, etag FROM upload_parts WHERE upload_id = ? ORDER BY part_number",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// A sent part, recorded with the progress it brings.
pub struct SentPart {
    pub number: i32,
    pub etag: String,
    pub size: i64,
}

/// Records progress in one transaction: new parts, then the session's offset, tail, hash state,
/// multipart id, content type and key, and expiry.
pub async fn save_progress(
    pool: &MySqlPool,
    s: &Session,
    new_parts: &[SentPart],
) -> Result<(), sqlx::Error> {
    kit::db::count_operation("uploads.progress");
    let mut tx = pool.begin().await?;
    for p in new_parts {
        sqlx::query(
            "INSERT INTO upload_parts (upload_id, part_number, etag, size) VALUES (?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE etag = VALUES(etag), size = VALUES(size)",
        )
        .bind(&s.id)
        .bind(p.number)
        .bind(&p.etag)
        .bind(p.size)
        .execute(&mut *tx)
        .await?;
    }
    update(&mut tx, s).await?;
    tx.commit().await
}

async fn update(conn: &mut MySqlConnection, s: &Session) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE uploads SET length = ?, title = ?, description = ?, received = ?, resume_at = ?, \
         object_key = ?, s3_upload_id = ?, parts = ?, content_type = ?, tail = ?, sha256_state = ?, \
         checksum = ?, state = ?, result_id = ?, expires_at = ? WHERE id = ?",
    )
    .bind(s.length)
    .bind(&s.title)
    .bind(&s.description)
    .bind(s.received)
    .bind(s.resume_at)
    .bind(&s.object_key)
    .bind(&s.s3_upload_id)
    .bind(s.parts)
    .bind(&s.content_type)
    .bind(&s.tail)
    .bind(&s.sha256_state)
    .bind(&s.checksum)
    .bind(s.state)
    .bind(s.result_id)
    .bind(s.expires_at)
    .bind(&s.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes a session and its part records.
pub async fn delete(pool: &MySqlPool, id: &str) -> Result<(), sqlx::Error> {
    kit::db::count_operation("uploads.delete");
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM upload_parts WHERE upload_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM uploads WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Sessions past their expiry, oldest first.
pub async fn expired(pool: &MySqlPool, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    kit::db::count_operation("uploads.expired");
    // Assembled uploads never expire: their bytes were acknowledged, and they wait for their
    // registration (retried by every sweep) however long it takes.
    sqlx::query_scalar(
        "SELECT id FROM uploads WHERE expires_at < ? AND state <> ? ORDER BY expires_at LIMIT ?",
    )
    .bind(Utc::now().naive_utc())
    .bind(ASSEMBLED)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Sessions complete in S3 whose registration is still pending.
pub async fn pending_registration(
    pool: &MySqlPool,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    kit::db::count_operation("uploads.pending");
    sqlx::query_scalar("SELECT id FROM uploads WHERE state = ? LIMIT ?")
        .bind(ASSEMBLED)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Sessions not yet done (the active-sessions gauge).
pub async fn count_active(pool: &MySqlPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE state <> ?")
        .bind(DONE)
        .fetch_one(pool)
        .await
}
