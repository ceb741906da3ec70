//! Folding visit events into `videos.visit_count`, each event id at most once.
//!
//! One transaction per batch: the ids already in `applied_visits` are skipped, the new ones are
//! inserted there (a concurrent fold of the same id fails on the primary key and the batch is
//! retried) and each touched video gets one `UPDATE`, so a replayed batch changes nothing.

use std::collections::{BTreeMap, HashSet};

use sqlx::{MySqlPool, QueryBuilder};

use crate::domain::events::VisitEvent;

/// Applies the new events of `batch`; returns `(video id, visits added)` per touched video.
pub async fn fold(
    pool: &MySqlPool,
    batch: &[VisitEvent],
) -> Result<BTreeMap<i64, i64>, sqlx::Error> {
    let mut added = BTreeMap::new();
    if batch.is_empty() {
        return Ok(added);
    }
    kit::db::count_operation("visits.fold");
    let mut tx = pool.begin().await?;
    let mut q = QueryBuilder::new("SELECT event_id FROM applied_visits WHERE event_id IN (");
    let mut list = q.separated(", ");
    for e in batch {
        list.push_bind(e.id);
    }
    q.push(")");
    let seen: HashSet<i64> = q
        .build_query_scalar::<i64>()
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let mut fresh = HashSet::new();
    for e in batch {
        if !seen.contains(&e.id) && fresh.insert(e.id) {
            *added.entry(e.video_id).or_insert(0) += 1;
        }
    }
    if fresh.is_empty() {
        tx.commit().await?;
        return Ok(added);
    }
    let mut q = QueryBuilder::new("INSERT INTO applied_visits (event_id) ");
    q.push_values(&fresh, |mut row, id| {
        row.push_bind(*id);
    });
    q.build().execute(&mut *tx).await?;
    for (video, n) in &added {
        sqlx::query("UPDATE videos SET visit_count = visit_count + ? WHERE id = ?")
            .bind(n)
            .bind(video)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Forgets applied ids older than a time-ordered id (`kit::db::prune_older_ids`).
pub const PRUNE: &str = "DELETE FROM applied_visits WHERE event_id < ? LIMIT ?";
