//! The visit consumer: batches of `video.visits` records folded into MySQL (once per event id),
//! then the touched videos' absolute counts raised in the Redis ranking.
//!
//! A batch that fails anywhere is redelivered by kit's runner; the fold skips what it already
//! applied and the ranking update is absolute, so a redelivery repairs a half-done batch.

use std::time::Duration;

use crate::domain::events::VisitEvent;
use crate::metrics;
use crate::store::{videos, visits};
use crate::usecases::Catalog;

/// How often applied ids older than the retention are pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Folds one batch; malformed records are logged and skipped (they could never succeed).
#[tracing::instrument(skip_all, fields(messaging.batch.message_count = records.len()))]
pub async fn handle(catalog: &Catalog, records: &[kit::kafka::Record]) -> anyhow::Result<()> {
    let events: Vec<VisitEvent> = records
        .iter()
        .filter_map(|r| match serde_json::from_slice(&r.payload) {
            Ok(e) => Some(e),
            Err(err) => {
                tracing::warn!(messaging.kafka.offset = r.offset, error.message = %err, "malformed visit skipped");
                metrics::malformed_visit();
                None
            }
        })
        .collect();
    let added = visits::fold(&catalog.pool, &events).await?;
    metrics::visits_applied(added.values().sum::<i64>() as u64);
    let mut touched: Vec<i64> = events.iter().map(|e| e.video_id).collect();
    touched.sort_unstable();
    touched.dedup();
    let counts = videos::visit_counts(&catalog.pool, &touched).await?;
    catalog.ranking.raise(&counts).await?;
    Ok(())
}

/// Forgets applied event ids older than `retention` (replays older than that cannot happen: the
/// topic keeps messages for less time).
pub async fn prune(pool: &sqlx::MySqlPool, retention: Duration) {
    match kit::db::prune_older_ids(pool, visits::PRUNE, retention).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned applied visit ids"),
        Err(err) => tracing::warn!(error.message = %err, "pruning applied visit ids failed"),
    }
}
