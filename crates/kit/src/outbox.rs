//! The transactional outbox: a service writes an event in the same transaction as the change it
//! describes ([`enqueue`]), and a relay ([`Relay`]) publishes unsent rows to Kafka in id order and
//! marks them sent. A committed change therefore always gets its event, and a rolled-back change
//! never does, whatever happens to Kafka or the process in between.
//!
//! Delivery is at least once (a crash between publishing and marking republishes the batch), so
//! consumers deduplicate by the event id inside the payload. The relay holds the rows it is
//! publishing under `SELECT ... FOR UPDATE`, so two instances never interleave: one key's events
//! keep their order. Sent rows are purged after [`KEEP_SENT`].
//!
//! Each row keeps the `traceparent` of the request that wrote it, and the relay publishes it in a
//! span of that trace, so one trace runs from the request through Kafka to the consumers.
//!
//! The table lives in the service's own database; [`migrate`] creates it (one definition for every
//! service that uses the outbox).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sqlx::{MySqlConnection, MySqlPool, QueryBuilder};
use tokio::sync::Notify;

use tracing::Instrument;

use crate::kafka::Producer;
use crate::telemetry::{metrics, names, propagation};

/// Rows published per round.
const BATCH: i64 = 200;
/// How long sent rows stay (for inspection) before they are purged.
pub const KEEP_SENT: Duration = Duration::from_secs(24 * 3600);
/// Poll interval when nobody wakes the relay (another instance wrote, or a wake-up was missed).
const POLL: Duration = Duration::from_millis(500);

/// Creates the `outbox` table when missing.
pub async fn migrate(pool: &MySqlPool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS outbox (
            id         BIGINT         NOT NULL PRIMARY KEY,
            topic      VARCHAR(128)   NOT NULL,
            msg_key    VARBINARY(255) NOT NULL,
            payload    MEDIUMBLOB     NOT NULL,
            traceparent VARCHAR(64)   NULL,
            created_at DATETIME(3)    NOT NULL,
            sent_at    DATETIME(3)    NULL,
            KEY ix_outbox_unsent (sent_at, id)
        ) ENGINE = InnoDB",
    )
    .execute(pool)
    .await
    .map(drop)
}

/// Writes event `id` inside the caller's transaction, with the current trace context (the relay
/// publishes it as part of the same trace). The row id is the event id, so a consumer that shares
/// the database can tell which events a snapshot of the outbox already holds.
pub async fn enqueue(
    conn: &mut MySqlConnection,
    id: i64,
    topic: &str,
    key: &[u8],
    payload: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, topic, msg_key, payload, traceparent, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(topic)
    .bind(key)
    .bind(payload)
    .bind(propagation::current_traceparent())
    .bind(Utc::now().naive_utc())
    .execute(conn)
    .await
    .map(drop)
}

/// Rows not yet published (`ix_outbox_unsent`).
pub async fn backlog(pool: &MySqlPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(pool)
        .await
}

/// Publishes the outbox of one database.
pub struct Relay {
    pool: MySqlPool,
    producer: Producer,
    wake: Arc<Notify>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    topic: String,
    msg_key: Vec<u8>,
    payload: Vec<u8>,
    traceparent: Option<String>,
}

impl Relay {
    pub fn new(pool: MySqlPool, producer: Producer) -> Self {
        Self {
            pool,
            producer,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Call `notify_one` on this after committing an event, to publish it without waiting a poll.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Publishes one batch; returns how many rows were sent. Rows whose send failed stay unsent
    /// and are retried by the next round.
    pub async fn relay_once(&self) -> Result<usize, sqlx::Error> {
        // READ COMMITTED: the locking read below then locks only the rows it returns. Under
        // REPEATABLE READ it would also lock the index gap after them, and every writer's
        // `enqueue` would wait for this round, which lasts as long as Kafka takes to answer (the
        // delivery timeout while the broker is down).
        let mut conn = self.pool.acquire().await?;
        if let Err(err) = sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            .execute(&mut *conn)
            .await
        {
            // Refused on a connection the server still holds in a transaction: not one to reuse.
            conn.close_on_drop();
            return Err(err);
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        // The transaction always ends here, committed or rolled back, never by being dropped:
        // a dropped one is rolled back only when its connection is next used.
        match self.publish_batch(&mut tx).await {
            Ok(sent) => {
                tx.commit().await?;
                published().inc_by(sent as u64);
                Ok(sent)
            }
            Err(err) => {
                let _ = tx.rollback().await;
                Err(err)
            }
        }
    }

    /// Locks the oldest unsent rows, sends them in id order, and marks the sent ones.
    async fn publish_batch(&self, tx: &mut MySqlConnection) -> Result<usize, sqlx::Error> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, topic, msg_key, payload, traceparent FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ? FOR UPDATE",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Handed to the producer in id order: one partition keeps that order.
        // Each send runs in a span continuing the trace of the request that wrote the row.
        let sends = rows.iter().map(|r| {
            let span = tracing::info_span!("outbox.publish", messaging.destination.name = %r.topic);
            if let Some(tp) = &r.traceparent {
                propagation::set_parent(&span, propagation::from_traceparent(tp));
            }
            self.producer
                .send(&r.topic, &r.msg_key, &r.payload)
                .instrument(span)
        });
        let results = futures::future::join_all(sends).await;
        let mut sent = Vec::new();
        for (row, result) in rows.iter().zip(results) {
            match result {
                Ok(_) => sent.push(row.id),
                Err(err) => {
                    tracing::warn!(messaging.destination.name = %row.topic, error.message = %err, "outbox send failed; will retry");
                    break;
                }
            }
        }
        if !sent.is_empty() {
            let mut q = QueryBuilder::new("UPDATE outbox SET sent_at = ");
            q.push_bind(Utc::now().naive_utc());
            q.push(" WHERE id IN (");
            let mut list = q.separated(", ");
            for id in &sent {
                list.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
        Ok(sent.len())
    }

    /// Deletes rows sent longer ago than [`KEEP_SENT`] (`ix_outbox_unsent`).
    async fn purge(&self) -> Result<u64, sqlx::Error> {
        let cutoff =
            Utc::now().naive_utc() - chrono::Duration::from_std(KEEP_SENT).unwrap_or_default();
        let done =
            sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ? LIMIT 10000")
                .bind(cutoff)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// Publishes until `stop` resolves: at once when woken, otherwise every [`POLL`]; backs off
    /// while Kafka or MySQL fail. The backlog is published as `clipfed_outbox_backlog`.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let gauge = metrics::gauge_vec(names::OUTBOX_BACKLOG, "Outbox rows not yet published", &[]);
        let gauge = gauge.with_label_values::<&str>(&[]);
        let mut backoff = POLL;
        let mut purge_timer = tokio::time::interval(Duration::from_secs(600));
        loop {
            let wait = match self.relay_once().await {
                Ok(n) if n as i64 == BATCH => Duration::ZERO,
                Ok(n) => {
                    backoff = POLL;
                    if n > 0 {
                        // A batch may have failed part-way: look again soon.
                        Duration::from_millis(10)
                    } else {
                        POLL
                    }
                }
                Err(err) => {
                    tracing::warn!(error.message = %err, "outbox relay round failed");
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    backoff
                }
            };
            if let Ok(n) = backlog(&self.pool).await {
                gauge.set(n);
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = purge_timer.tick() => {
                    if let Err(err) = self.purge().await {
                        tracing::warn!(error.message = %err, "outbox purge failed");
                    }
                }
            }
        }
    }
}

fn published() -> prometheus::IntCounter {
    metrics::counter(names::OUTBOX_PUBLISHED, "Outbox rows published to Kafka")
}
