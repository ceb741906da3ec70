//! The videos and users other services announced (`known_videos`, `known_users`), so likes,
//! comments and follows can refuse ids that do not exist without calling those services.

use chrono::NaiveDateTime;
use sqlx::MySqlPool;

use crate::domain::known::Fact;

/// Applies facts in order; every statement is idempotent, so a replay changes nothing.
pub async fn apply(pool: &MySqlPool, facts: &[Fact], at: NaiveDateTime) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for fact in facts {
        match fact {
            Fact::Published {
                video_id,
                author_id,
            } => {
                sqlx::query("INSERT IGNORE INTO known_videos (id, author_id) VALUES (?, ?)")
                    .bind(video_id)
                    .bind(author_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Fact::Deleted { video_id } => {
                // A deletion seen before its publication still wins.
                sqlx::query(
                    "INSERT INTO known_videos (id, author_id, deleted_at) VALUES (?, 0, ?) \
                     ON DUPLICATE KEY UPDATE deleted_at = COALESCE(deleted_at, VALUES(deleted_at))",
                )
                .bind(video_id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            Fact::Registered { user_id } => {
                sqlx::query("INSERT IGNORE INTO known_users (id) VALUES (?)")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Fact::Other => {}
        }
    }
    tx.commit().await
}

/// Whether the video was published and not deleted (on the pool, or inside a transaction).
pub async fn video_live<'e>(
    db: impl sqlx::MySqlExecutor<'e>,
    id: i64,
) -> Result<bool, sqlx::Error> {
    kit::db::count_operation("known.video");
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM known_videos WHERE id = ? AND deleted_at IS NULL")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// Whether the user was registered.
pub async fn user_exists(pool: &MySqlPool, id: i64) -> Result<bool, sqlx::Error> {
    kit::db::count_operation("known.user");
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM known_users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}
