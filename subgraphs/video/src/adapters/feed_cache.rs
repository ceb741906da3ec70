//! A short-lived Redis cache of feed pages and feed totals, in front of MySQL's `ix_videos_feed`.
//!
//! Keys share one hash tag per database: `{<db>:feed}:gen` holds the generation, and entries live
//! under `{<db>:feed}:<generation>:<page or total and its inputs>`. Every commit that changes what
//! the feed shows (a video published or deleted, a cover recorded) raises the generation
//! ([`FeedCache::changed`]), so no page cached before a change is read after it. A hit is one
//! round trip: a Lua script reads the generation and the entry together.
//!
//! The three ways a cache fails its database, and what this one does:
//! - penetration (requests for what does not exist always miss): empty pages and zero totals are
//!   cached like any other, so pages past the end or after a future `latestTime` stop at Redis;
//! - breakdown (a hot key expires and every request behind it loads it): misses of one key load
//!   once per process ([`kit::flight`]), the other requests wait for that load;
//! - avalanche (many keys expire together): each entry lives `ttl_ms` plus a random part of
//!   `jitter_ms`.
//!
//! What the cache gives up: visit counts on a cached page lag by at most `ttl_ms + jitter_ms`
//! (they are folded in within seconds anyway). When Redis fails, the feed is read from MySQL
//! (`clipfed_video_feed_cache_total{result="error"}`); when only the generation bump fails, pages
//! cached before the change are served until they expire. `ttl_ms = 0` turns the cache off.

use std::future::Future;
use std::sync::Arc;

use kit::flight::Flights;
use rand::Rng;
use redis::aio::ConnectionManager;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::VideoError;
use crate::metrics;
use crate::store::videos::VideoRow;

/// Reads the generation, then the entry under it: `{generation, entry or nil}`.
const READ: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', ARGV[1] .. gen .. ':' .. ARGV[2])}
";

/// How long entries live (`[feed_cache]`).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedCacheConfig {
    /// Milliseconds an entry lives at least; 0 turns the cache off.
    pub ttl_ms: u64,
    /// Up to this many milliseconds more, at random per entry.
    pub jitter_ms: u64,
}

#[derive(Clone)]
pub struct FeedCache(Option<Arc<Inner>>);

struct Inner {
    redis: ConnectionManager,
    /// `{<db>:feed}:`
    prefix: String,
    gen_key: String,
    config: FeedCacheConfig,
    read: redis::Script,
    pages: Flights<Result<Vec<VideoRow>, String>>,
    totals: Flights<Result<i64, String>>,
}

impl FeedCache {
    pub fn new(redis: ConnectionManager, namespace: &str, config: FeedCacheConfig) -> Self {
        if config.ttl_ms == 0 {
            return Self(None);
        }
        let prefix = format!("{{{namespace}:feed}}:");
        Self(Some(Arc::new(Inner {
            redis,
            gen_key: format!("{prefix}gen"),
            prefix,
            config,
            read: redis::Script::new(READ),
            pages: Flights::default(),
            totals: Flights::default(),
        })))
    }

    /// A feed page (`after` in milliseconds, as asked), from the cache or from `load`.
    pub async fn page<F, Fut>(
        &self,
        after: Option<i64>,
        offset: i64,
        limit: i64,
        load: F,
    ) -> Result<Vec<VideoRow>, VideoError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<VideoRow>, VideoError>>,
    {
        match &self.0 {
            None => load().await,
            Some(inner) => {
                let what = format!("page:{}:{offset}:{limit}", after_part(after));
                inner.cached(&inner.pages, &what, load).await
            }
        }
    }

    /// The feed's total after `after`, from the cache or from `load`.
    pub async fn total<F, Fut>(&self, after: Option<i64>, load: F) -> Result<i64, VideoError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<i64, VideoError>>,
    {
        match &self.0 {
            None => load().await,
            Some(inner) => {
                let what = format!("total:{}", after_part(after));
                inner.cached(&inner.totals, &what, load).await
            }
        }
    }

    /// Called after a commit that changes the feed: entries cached before it are not read again.
    pub async fn changed(&self) {
        let Some(inner) = &self.0 else { return };
        let mut conn = inner.redis.clone();
        let bumped: redis::RedisResult<i64> = redis::cmd("INCR")
            .arg(&inner.gen_key)
            .query_async(&mut conn)
            .await;
        if let Err(err) = bumped {
            tracing::warn!(error.message = %err, "feed cache generation not raised; pages expire on their own");
        }
    }
}

fn after_part(after: Option<i64>) -> String {
    after.map_or_else(|| "-".to_owned(), |ms| ms.to_string())
}

impl Inner {
    async fn cached<T, F, Fut>(
        &self,
        flights: &Flights<Result<T, String>>,
        what: &str,
        load: F,
    ) -> Result<T, VideoError>
    where
        T: Clone + Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, VideoError>>,
    {
        let mut conn = self.redis.clone();
        let read: redis::RedisResult<(String, Option<Vec<u8>>)> = self
            .read
            .key(&self.gen_key)
            .arg(&self.prefix)
            .arg(what)
            .invoke_async(&mut conn)
            .await;
        let (generation, entry) = match read {
            Ok(read) => read,
            Err(err) => {
                tracing::warn!(error.message = %err, "feed cache not read; using MySQL");
                metrics::feed_cache("error");
                return load().await;
            }
        };
        if let Some(value) = entry.and_then(|bytes| serde_json::from_slice(&bytes).ok()) {
            metrics::feed_cache("hit");
            return Ok(value);
        }
        metrics::feed_cache("miss");
        let key = format!("{}{generation}:{what}", self.prefix);
        flights
            .run(&key, || async {
                let value = load().await.map_err(describe)?;
                self.store(&key, &value).await;
                Ok(value)
            })
            .await
            .map_err(|message| VideoError::Internal(message.into()))
    }

    async fn store<T: Serialize>(&self, key: &str, value: &T) {
        let Ok(bytes) = serde_json::to_vec(value) else {
            return;
        };
        let jitter = match self.config.jitter_ms {
            0 => 0,
            j => rand::rng().random_range(0..=j),
        };
        let mut conn = self.redis.clone();
        let stored: redis::RedisResult<()> = redis::cmd("SET")
            .arg(key)
            .arg(bytes)
            .arg("PX")
            .arg(self.config.ttl_ms + jitter)
            .query_async(&mut conn)
            .await;
        if let Err(err) = stored {
            tracing::debug!(error.message = %err, "feed page not cached");
        }
    }
}

/// A load's failure as text with its whole cause chain (the one error becomes every waiting
/// caller's `Internal` cause, logged once each at the response edge).
fn describe(err: VideoError) -> String {
    kit::AppError::from(err).describe()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a cause of its own, as sqlx's are.
    #[derive(Debug, thiserror::Error)]
    #[error("pool timed out")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_shared_load_failure_keeps_its_cause_chain() {
        let err = VideoError::Internal(Box::new(Outer(std::io::Error::other("connection reset"))));
        let text = describe(err);
        assert!(text.contains("pool timed out"), "{text}");
        assert!(text.contains("connection reset"), "{text}");
    }
}
