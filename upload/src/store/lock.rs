//! One writer per upload, across instances: a MySQL named lock (`GET_LOCK`) held on its own pooled
//! connection for the length of a request. A crashed holder's connection closes and the lock goes
//! with it, so a killed process never leaves an upload locked.

use sqlx::MySqlPool;
use sqlx::pool::PoolConnection;

/// A held lock; released on [`UploadLock::release`] or, if dropped, when its connection closes.
pub struct UploadLock {
    conn: Option<PoolConnection<sqlx::MySql>>,
    name: String,
}

/// Takes the lock of upload `id` without waiting; `None` when another request holds it.
pub async fn try_lock(pool: &MySqlPool, id: &str) -> Result<Option<UploadLock>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let name = format!("clipfed_upload:{id}");
    let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
        .bind(&name)
        .fetch_one(&mut *conn)
        .await?;
    if got == Some(1) {
        Ok(Some(UploadLock {
            conn: Some(conn),
            name,
        }))
    } else {
        Ok(None)
    }
}

impl UploadLock {
    /// Releases the lock and returns the connection to the pool.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let released = sqlx::query("SELECT RELEASE_LOCK(?)")
                .bind(&self.name)
                .execute(&mut *conn)
                .await;
            if released.is_err() {
                // The connection is in doubt: close it, which releases the lock for certain.
                conn.detach();
            }
        }
    }
}

impl Drop for UploadLock {
    fn drop(&mut self) {
        // Dropped without release (a cancelled request): closing the connection frees the lock;
        // returning it to the pool would keep the lock held by an idle connection.
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}
