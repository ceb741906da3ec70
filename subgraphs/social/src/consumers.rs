//! The two consumers: [`fold_counters`] folds `interaction.events` into counter rows (each event
//! id once), [`learn`] records the videos and users announced on `video.events` / `user.events`.
//!
//! A batch that fails is redelivered by kit's runner; both handlers are idempotent, so a crash
//! after processing and before the offset commit changes nothing. Malformed records are logged,
//! counted and skipped (they could never succeed).

use std::time::Duration;

use sqlx::MySqlPool;

use crate::domain::events::InteractionEvent;
use crate::domain::known::Fact;
use crate::metrics;
use crate::store::{counters, known};

/// How often applied ids older than the retention are pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Folds one batch of interaction events into the counters.
#[tracing::instrument(skip_all, fields(messaging.batch.message_count = records.len()))]
pub async fn fold_counters(pool: &MySqlPool, records: &[kit::kafka::Record]) -> anyhow::Result<()> {
    let events: Vec<InteractionEvent> = kit::kafka::decode_json(records, metrics::malformed);
    let fresh = counters::fold(pool, &events).await?;
    metrics::events_folded(fresh as u64);
    Ok(())
}

/// Records the videos and users one batch announces.
#[tracing::instrument(skip_all, fields(messaging.batch.message_count = records.len()))]
pub async fn learn(pool: &MySqlPool, records: &[kit::kafka::Record]) -> anyhow::Result<()> {
    let facts: Vec<Fact> = kit::kafka::decode_json(records, metrics::malformed);
    known::apply(pool, &facts, chrono::Utc::now().naive_utc()).await?;
    Ok(())
}

/// Forgets applied event ids older than `retention` (replays older than that cannot happen: the
/// topic keeps messages for less time).
pub async fn prune(pool: &MySqlPool, retention: Duration) {
    match kit::db::prune_older_ids(pool, counters::PRUNE, retention).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned applied event ids"),
        Err(err) => tracing::warn!(error.message = %err, "pruning applied event ids failed"),
    }
}
