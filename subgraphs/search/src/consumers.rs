//! The indexer: one consumer group over `video.events` and `user.events`. Each batch's text facts
//! go to the keyword index in one transaction, then covers and avatars are fetched, embedded and
//! stored in Milvus, in event order. Everything is idempotent (upserts keyed by video, user and
//! object), so redelivery and replays converge; a failed batch is redelivered by kit's runner.
//! Malformed records are logged, counted and skipped.

use sqlx::MySqlPool;

use crate::domain::events::{Fact, Source};
use crate::metrics;
use crate::store::index;
use crate::usecases::images::Images;

/// Applies one batch.
#[tracing::instrument(skip_all, fields(messaging.batch.message_count = records.len()))]
pub async fn apply(
    pool: &MySqlPool,
    images: &Images,
    records: &[kit::kafka::Record],
) -> anyhow::Result<()> {
    let facts: Vec<Fact> = kit::kafka::decode_json(records, metrics::malformed);
    index::apply(pool, &facts).await?;
    for fact in &facts {
        let done = match fact {
            Fact::CoverReady {
                video_id,
                cover_key,
            } => {
                images
                    .index_object(cover_key, Source::Cover, *video_id)
                    .await
            }
            Fact::AvatarChanged {
                user_id,
                avatar_key,
            } => {
                images
                    .index_object(avatar_key, Source::Avatar, *user_id)
                    .await
            }
            Fact::Deleted { video_id } => images.forget(Source::Cover, *video_id, None).await,
            _ => Ok(()),
        };
        done.map_err(|e| anyhow::anyhow!(kit::AppError::from(e).describe()))?;
    }
    Ok(())
}
