//! The video use cases: registration, deletion, the lists and visits. Resolvers stay thin and call
//! these; every failure is a [`VideoError`], which carries its code.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use kit::page::Page;
use sqlx::MySqlPool;
use tokio::sync::Notify;

use crate::adapters::covers::CoverQueue;
use crate::adapters::feed_cache::FeedCache;
use crate::adapters::ranking::Ranking;
use crate::config::Topics;
use crate::domain::events::{VideoEvent, VisitEvent};
use crate::domain::video::NewVideo;
use crate::error::VideoError;
use crate::metrics;
use crate::store::{self, videos, videos::VideoRow};

/// Everything the video use cases need.
#[derive(Clone)]
pub struct Catalog {
    pub pool: MySqlPool,
    pub ranking: Ranking,
    /// Feed pages and totals in Redis; told after every commit that changes the feed.
    pub feed_cache: FeedCache,
    pub producer: kit::kafka::Producer,
    pub topics: Topics,
    /// Wakes the outbox relay after a commit.
    pub relay: Arc<Notify>,
    pub covers: CoverQueue,
    /// Counts visits per viewer and video (`visit_limit`).
    pub visit_limiter: kit::ratelimit::RateLimiter,
    pub visit_limit: kit::ratelimit::Limit,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Last millisecond of 9999-12-31, the end of MySQL's DATETIME range.
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// A `latestTime` (milliseconds since the epoch) as a UTC time; negative or past 9999 is refused.
pub fn parse_millis(ms: i64) -> Result<NaiveDateTime, VideoError> {
    (0..=MAX_MILLIS)
        .contains(&ms)
        .then(|| DateTime::from_timestamp_millis(ms))
        .flatten()
        .map(|t| t.naive_utc())
        .ok_or(VideoError::Invalid(
            "latestTime must be a millisecond timestamp",
        ))
}

impl Catalog {
    /// Records a finished upload as a video, once per upload id: a retry with the same upload
    /// returns the first video; the same upload id with other content is a conflict.
    #[tracing::instrument(skip_all, fields(upload.id = %raw.upload_id, user.id = raw.author_id))]
    pub async fn register(&self, raw: NewVideo) -> Result<VideoRow, VideoError> {
        let new = NewVideo::parse(raw)?;
        if let Some(existing) = self.existing(&new).await? {
            return Ok(existing);
        }
        let id = kit::id::next_id();
        let at = now();
        let event = VideoEvent::Published {
            id: kit::id::next_id(),
            video_id: id,
            author_id: new.author_id,
            title: new.title.clone(),
            description: new.description.clone(),
            created_at_ms: at.and_utc().timestamp_millis(),
        };
        let mut tx = self.pool.begin().await?;
        match videos::insert(&mut tx, id, &new, at).await {
            Ok(()) => {}
            // A concurrent retry won the race: answer with its video.
            Err(e) if store::is_duplicate(&e) => {
                drop(tx);
                return self
                    .existing(&new)
                    .await?
                    .ok_or_else(|| VideoError::Internal("duplicate upload vanished".into()));
            }
            Err(e) => return Err(e.into()),
        }
        self.publish(&mut tx, &event).await?;
        tx.commit().await?;
        self.feed_cache.changed().await;
        self.relay.notify_one();
        metrics::published();
        self.covers.request(id, new.object_key.clone());
        self.one(id).await
    }

    /// The video already registered for `new`'s upload id, if any.
    async fn existing(&self, new: &NewVideo) -> Result<Option<VideoRow>, VideoError> {
        let Some(row) = videos::by_upload(&self.pool, &new.upload_id).await? else {
            return Ok(None);
        };
        if new.same_upload(row.author_id, &row.object_key) {
            Ok(Some(row))
        } else {
            Err(VideoError::UploadConflict)
        }
    }

    async fn publish(
        &self,
        conn: &mut sqlx::MySqlConnection,
        event: &VideoEvent,
    ) -> Result<(), VideoError> {
        let payload = serde_json::to_vec(event)?;
        let key = event.video_id().to_string();
        kit::outbox::enqueue(
            conn,
            event.id(),
            &self.topics.events,
            key.as_bytes(),
            &payload,
        )
        .await
        .map_err(VideoError::from)
    }

    /// Deletes a video of `author_id`: hidden from every list and lookup at once.
    #[tracing::instrument(skip_all, fields(user.id = author_id, video.id = id))]
    pub async fn delete(&self, author_id: i64, id: i64) -> Result<(), VideoError> {
        let mut tx = self.pool.begin().await?;
        if !videos::soft_delete(&mut tx, id, author_id, now()).await? {
            drop(tx);
            let live = videos::by_ids(&self.pool, &[id]).await?;
            return Err(if live.is_empty() {
                VideoError::NotFound
            } else {
                VideoError::NotOwner
            });
        }
        let event = VideoEvent::Deleted {
            id: kit::id::next_id(),
            video_id: id,
        };
        self.publish(&mut tx, &event).await?;
        tx.commit().await?;
        self.feed_cache.changed().await;
        self.relay.notify_one();
        metrics::deleted();
        // Reads filter deleted rows anyway; a Redis failure here only leaves a member that the
        // next popular page drops.
        if let Err(err) = self.ranking.remove(id).await {
            tracing::warn!(error.message = %err, "ranking removal failed");
        }
        Ok(())
    }

    /// One live video, or `VIDEO_NOT_FOUND`.
    pub async fn one(&self, id: i64) -> Result<VideoRow, VideoError> {
        self.by_ids(&[id])
            .await?
            .pop()
            .ok_or_else(|| VideoError::NotFound)
    }

    /// Live videos among `ids` (any order).
    pub async fn by_ids(&self, ids: &[i64]) -> Result<Vec<VideoRow>, VideoError> {
        videos::by_ids(&self.pool, ids)
            .await
            .map_err(VideoError::from)
    }

    /// The feed: newest first, only videos created after `after_ms` when given (through the
    /// Redis feed cache).
    pub async fn feed(
        &self,
        after_ms: Option<i64>,
        page: Page,
    ) -> Result<Vec<VideoRow>, VideoError> {
        let after = after_ms.map(parse_millis).transpose()?;
        let (limit, offset) = (page.limit(), page.offset());
        self.feed_cache
            .page(after_ms, offset, limit, || async move {
                Ok(videos::feed(&self.pool, after, limit, offset).await?)
            })
            .await
    }

    /// How many videos the feed holds after `after_ms` (through the Redis feed cache).
    pub async fn feed_total(&self, after_ms: Option<i64>) -> Result<i64, VideoError> {
        let after = after_ms.map(parse_millis).transpose()?;
        self.feed_cache
            .total(after_ms, || async move {
                Ok(videos::count_feed(&self.pool, after).await?)
            })
            .await
    }

    /// One uploader's videos, newest first.
    pub async fn by_author(&self, author_id: i64, page: Page) -> Result<Vec<VideoRow>, VideoError> {
        videos::by_author(&self.pool, author_id, page.limit(), page.offset())
            .await
            .map_err(VideoError::from)
    }

    /// Live video counts per author (absent authors have none).
    pub async fn counts_by_authors(&self, authors: &[i64]) -> Result<Vec<(i64, i64)>, VideoError> {
        videos::counts_by_authors(&self.pool, authors)
            .await
            .map_err(VideoError::from)
    }

    /// The most visited videos, from Redis alone when the rows are cached. When Redis fails the
    /// page comes from MySQL's visit index instead (slower, same order).
    #[tracing::instrument(skip_all, fields(page.offset = page.offset(), page.limit = page.limit()))]
    pub async fn popular(&self, page: Page) -> Result<Vec<VideoRow>, VideoError> {
        match self.popular_from_redis(page).await {
            Ok(rows) => Ok(rows),
            Err(err) => {
                tracing::warn!(error.message = %err, "popular from Redis failed; using MySQL");
                metrics::popular_fallback();
                videos::most_visited(&self.pool, page.limit(), page.offset())
                    .await
                    .map_err(VideoError::from)
            }
        }
    }

    async fn popular_from_redis(&self, page: Page) -> Result<Vec<VideoRow>, redis::RedisError> {
        let ranked = self.ranking.page(page.offset(), page.limit()).await?;
        let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
        let mut cached = self.ranking.rows(&ids).await?;
        let missing: Vec<i64> = ids
            .iter()
            .zip(&cached)
            .filter(|(_, row)| row.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let loaded = match videos::by_ids(&self.pool, &missing).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(error.message = %err, "loading popular rows failed");
                    Vec::new()
                }
            };
            self.ranking.cache_rows(&loaded).await?;
            for (id, slot) in ids.iter().zip(cached.iter_mut()) {
                if slot.is_none() {
                    *slot = loaded.iter().find(|r| r.id == *id).cloned();
                    if slot.is_none() {
                        // Deleted (or never existed): drop the stale member.
                        self.ranking.remove(*id).await?;
                    }
                }
            }
        }
        Ok(ranked
            .iter()
            .zip(cached)
            .filter_map(|((_, score), row)| {
                row.map(|mut r| {
                    r.visit_count = r.visit_count.max(*score);
                    r
                })
            })
            .collect())
    }

    /// How many videos the popular ranking holds.
    pub async fn popular_total(&self) -> Result<i64, VideoError> {
        match self.ranking.len().await {
            Ok(n) => Ok(n),
            Err(err) => {
                tracing::warn!(error.message = %err, "ranking size from Redis failed");
                Err(VideoError::Unavailable)
            }
        }
    }

    /// Records one visit of a live video; it counts once the consumer folds it (seconds). A
    /// `viewer` (user or client address) past its limit for this video is not counted: `false`.
    #[tracing::instrument(skip_all, fields(video.id = video_id))]
    pub async fn record_visit(
        &self,
        video_id: i64,
        viewer: Option<String>,
    ) -> Result<bool, VideoError> {
        self.one(video_id).await?;
        if let Some(viewer) = viewer {
            let subject = format!("{viewer}/{video_id}");
            let decision = self
                .visit_limiter
                .hit("visit", &subject, self.visit_limit)
                .await
                .map_err(|err| {
                    tracing::warn!(error.message = %err, "visit limit not checked");
                    VideoError::Unavailable
                })?;
            if let kit::ratelimit::Decision::Limited { .. } = decision {
                metrics::visit_not_counted();
                return Ok(false);
            }
        }
        let event = VisitEvent {
            id: kit::id::next_id(),
            video_id,
            at_ms: Utc::now().timestamp_millis(),
        };
        let payload = serde_json::to_vec(&event)?;
        self.producer
            .send(
                &self.topics.visits,
                video_id.to_string().as_bytes(),
                &payload,
            )
            .await
            .map_err(|err| {
                tracing::warn!(error.message = %err, "visit not sent");
                VideoError::Unavailable
            })?;
        Ok(true)
    }
}
