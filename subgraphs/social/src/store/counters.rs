//! Counter rows folded from `interaction.events`, and their rebuild from the source rows.
//!
//! A fold applies each event id once (`applied_events`) and sums a batch into one statement; the
//! rebuild recomputes every counter from likes, comments and follows. Both lock the single
//! `counter_lock` row first, so they never interleave. The rebuild then reads everything in one
//! snapshot, including which events the outbox already held: those are marked applied, because
//! the snapshot's rows already count them, while later events are folded on top as usual.

use std::collections::{BTreeMap, HashSet};

use sqlx::{MySqlConnection, MySqlPool, QueryBuilder};

use super::shards::Shards;
use super::{comments, follows, likes};
use crate::domain::events::{Counter, InteractionEvent};

/// Rows per multi-row statement.
const CHUNK: usize = 1000;

async fn lock(conn: &mut MySqlConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT id FROM counter_lock WHERE id = 1 FOR UPDATE")
        .fetch_optional(conn)
        .await
        .map(drop)
}

/// Applies the events of `batch` not applied before; returns how many were new.
pub async fn fold(pool: &MySqlPool, batch: &[InteractionEvent]) -> Result<usize, sqlx::Error> {
    if batch.is_empty() {
        return Ok(0);
    }
    kit::db::count_operation("counters.fold");
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let mut q = QueryBuilder::new("SELECT event_id FROM applied_events WHERE event_id IN (");
    let mut list = q.separated(", ");
    for e in batch {
        list.push_bind(e.id());
    }
    q.push(")");
    let seen: HashSet<i64> = q
        .build_query_scalar::<i64>()
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let mut fresh = HashSet::new();
    let mut sums: BTreeMap<Counter, i64> = BTreeMap::new();
    for e in batch {
        if !seen.contains(&e.id()) && fresh.insert(e.id()) {
            for (counter, delta) in e.deltas() {
                *sums.entry(counter).or_insert(0) += delta;
            }
        }
    }
    if fresh.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let fresh: Vec<i64> = fresh.into_iter().collect();
    for chunk in fresh.chunks(CHUNK) {
        let mut q = QueryBuilder::new("INSERT INTO applied_events (event_id) ");
        q.push_values(chunk, |mut row, id| {
            row.push_bind(*id);
        });
        q.build().execute(&mut *tx).await?;
    }
    let sums: Vec<((i8, i64), i64)> = sums
        .into_iter()
        .filter(|(_, d)| *d != 0)
        .map(|(c, d)| (c.key(), d))
        .collect();
    for chunk in sums.chunks(CHUNK) {
        let mut q = QueryBuilder::new("INSERT INTO counters (kind, entity_id, value) ");
        q.push_values(chunk, |mut row, ((kind, id), delta)| {
            row.push_bind(*kind).push_bind(*id).push_bind(*delta);
        });
        q.push(" ON DUPLICATE KEY UPDATE value = value + VALUES(value)");
        q.build().execute(&mut *tx).await?;
        if chunk.iter().any(|(_, d)| *d < 0) {
            // Never below zero, whatever order events arrive in.
            let mut q = QueryBuilder::new(
                "UPDATE counters SET value = 0 WHERE value < 0 AND (kind, entity_id) IN (",
            );
            let mut list = q.separated(", ");
            for ((kind, id), _) in chunk {
                list.push("(")
                    .push_bind_unseparated(*kind)
                    .push_unseparated(", ")
                    .push_bind_unseparated(*id)
                    .push_unseparated(")");
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(fresh.len())
}

/// Current values of `keys` (absent counters are 0).
pub async fn get(
    pool: &MySqlPool,
    keys: &[Counter],
) -> Result<BTreeMap<Counter, i64>, sqlx::Error> {
    let mut values: BTreeMap<Counter, i64> = keys.iter().map(|k| (*k, 0)).collect();
    if keys.is_empty() {
        return Ok(values);
    }
    kit::db::count_operation("counters.get");
    let mut q = QueryBuilder::new(
        "SELECT kind, entity_id, value FROM counters WHERE (kind, entity_id) IN (",
    );
    let mut list = q.separated(", ");
    // Bound, not inlined: the statement's text depends only on how many keys there are, so the
    // connection's prepared-statement cache holds a few shapes instead of one per key set (see
    // kit::db on why evictions cost 40 ms).
    for key in keys {
        let (kind, id) = key.key();
        list.push("(")
            .push_bind_unseparated(kind)
            .push_unseparated(", ")
            .push_bind_unseparated(id)
            .push_unseparated(")");
    }
    q.push(")");
    let rows: Vec<(i8, i64, i64)> = q.build_query_as().fetch_all(pool).await?;
    for key in keys {
        let (kind, id) = key.key();
        if let Some((_, _, v)) = rows.iter().find(|(k, i, _)| *k == kind && *i == id) {
            values.insert(*key, *v);
        }
    }
    Ok(values)
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Non-zero counters written.
    pub counters: usize,
    /// Outbox events marked applied (their rows were already counted).
    pub events_marked: usize,
}

/// Recomputes every counter from the source rows (see the module comment for why it is exact
/// while the service runs).
pub async fn rebuild(
    pool: &MySqlPool,
    shards: &Shards,
    topic: &str,
) -> Result<Rebuilt, sqlx::Error> {
    kit::db::count_operation("counters.rebuild");
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    // The first plain read below fixes the snapshot every later read sees.
    let events: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE topic = ?")
        .bind(topic)
        .fetch_all(&mut *tx)
        .await?;
    let mut values: BTreeMap<(i8, i64), i64> = BTreeMap::new();
    let mut add = |counter: Counter, n: i64| {
        *values.entry(counter.key()).or_insert(0) += n;
    };
    for shard in shards.all() {
        let rows: Vec<(i8, i64, i64)> = sqlx::query_as(shards.sql(likes::COUNTS, shard))
            .fetch_all(&mut *tx)
            .await?;
        for (kind, target, n) in rows {
            add(
                if kind == likes::VIDEO {
                    Counter::VideoLikes(target)
                } else {
                    Counter::CommentLikes(target)
                },
                n,
            );
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(shards.sql(comments::VIDEO_COUNTS, shard))
            .fetch_all(&mut *tx)
            .await?;
        for (video, n) in rows {
            add(Counter::VideoComments(video), n);
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(shards.sql(comments::REPLY_COUNTS, shard))
            .fetch_all(&mut *tx)
            .await?;
        for (parent, n) in rows {
            add(Counter::CommentReplies(parent), n);
        }
    }
    for (sql, counter) in [
        (
            follows::FOLLOWING_COUNTS,
            Counter::Following as fn(i64) -> Counter,
        ),
        (follows::FOLLOWER_COUNTS, Counter::Followers),
    ] {
        let rows: Vec<(i64, i64)> = sqlx::query_as(sql).fetch_all(&mut *tx).await?;
        for (user, n) in rows {
            add(counter(user), n);
        }
    }
    sqlx::query("DELETE FROM counters")
        .execute(&mut *tx)
        .await?;
    let values: Vec<((i8, i64), i64)> = values.into_iter().collect();
    for chunk in values.chunks(CHUNK) {
        let mut q = QueryBuilder::new("INSERT INTO counters (kind, entity_id, value) ");
        q.push_values(chunk, |mut row, ((kind, id), n)| {
            row.push_bind(*kind).push_bind(*id).push_bind(*n);
        });
        q.build().execute(&mut *tx).await?;
    }
    for chunk in events.chunks(CHUNK) {
        let mut q = QueryBuilder::new("INSERT IGNORE INTO applied_events (event_id) ");
        q.push_values(chunk, |mut row, id| {
            row.push_bind(*id);
        });
        q.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Rebuilt {
        counters: values.len(),
        events_marked: events.len(),
    })
}

/// Forgets applied ids older than a time-ordered id (`kit::db::prune_older_ids`).
pub const PRUNE: &str = "DELETE FROM applied_events WHERE event_id < ? LIMIT ?";
