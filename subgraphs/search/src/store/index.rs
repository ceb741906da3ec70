//! Applying `video.events` and `user.events` to the keyword index. Every statement is an upsert or
//! a delete keyed by the video or user, so applying a batch twice, or replaying a whole topic,
//! leaves the tables as they were; a deletion wins over a (re)publication seen after it.

use sqlx::{MySql, MySqlPool, QueryBuilder, Transaction};

use crate::domain::events::Fact;
use crate::domain::tokens;

/// Rows per multi-row postings insert (well below MySQL's placeholder limit).
const POSTINGS_PER_INSERT: usize = 1000;

/// Applies the text facts of one batch in one transaction (image facts are not handled here).
pub async fn apply(pool: &MySqlPool, facts: &[Fact]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for fact in facts {
        match fact {
            Fact::Published {
                video_id,
                author_id,
                title,
                description,
                created_at_ms,
            } => {
                publish(
                    &mut tx,
                    *video_id,
                    *author_id,
                    title,
                    description,
                    *created_at_ms,
                )
                .await?
            }
            Fact::Deleted { video_id } => delete(&mut tx, *video_id).await?,
            Fact::Registered { user_id, username } => {
                kit::db::count_operation("users.upsert");
                sqlx::query(
                    "INSERT INTO users (id, username) VALUES (?, ?) \
                     ON DUPLICATE KEY UPDATE username = VALUES(username)",
                )
                .bind(user_id)
                .bind(username)
                .execute(&mut *tx)
                .await?;
            }
            Fact::CoverReady { .. } | Fact::AvatarChanged { .. } | Fact::Other => {}
        }
    }
    tx.commit().await
}

async fn publish(
    tx: &mut Transaction<'_, MySql>,
    id: i64,
    author_id: i64,
    title: &str,
    description: &str,
    created_at_ms: i64,
) -> Result<(), sqlx::Error> {
    kit::db::count_operation("videos.upsert");
    sqlx::query(
        "INSERT INTO videos (id, author_id, title, description, created_at_ms) \
         VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE author_id = VALUES(author_id), \
         title = VALUES(title), description = VALUES(description), \
         created_at_ms = VALUES(created_at_ms)",
    )
    .bind(id)
    .bind(author_id)
    .bind(title)
    .bind(description)
    .bind(created_at_ms)
    .execute(&mut **tx)
    .await?;
    let deleted: bool = sqlx::query_scalar("SELECT deleted FROM videos WHERE id = ? FOR UPDATE")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM postings WHERE video_id = ?")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if deleted {
        return Ok(());
    }
    let mut terms = tokens::index_terms(title);
    terms.extend(tokens::index_terms(description));
    let terms: Vec<String> = terms.into_iter().collect();
    for chunk in terms.chunks(POSTINGS_PER_INSERT) {
        let mut insert = QueryBuilder::<MySql>::new(
            "INSERT IGNORE INTO postings (term, created_at_ms, video_id) ",
        );
        insert.push_values(chunk, |mut row, term| {
            row.push_bind(term).push_bind(created_at_ms).push_bind(id);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn delete(tx: &mut Transaction<'_, MySql>, id: i64) -> Result<(), sqlx::Error> {
    kit::db::count_operation("videos.delete");
    // A deletion seen before its publication leaves a marked row the publication cannot revive.
    sqlx::query(
        "INSERT INTO videos (id, author_id, title, description, created_at_ms, deleted) \
         VALUES (?, 0, '', '', 0, TRUE) ON DUPLICATE KEY UPDATE deleted = TRUE",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM postings WHERE video_id = ?")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
