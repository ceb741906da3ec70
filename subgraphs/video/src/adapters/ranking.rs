//! The popular ranking in Redis: a sorted set (member = video id, score = visit count) holding the
//! top `capacity` videos, plus the video rows it lists, cached as JSON, so a popular page is one
//! `ZREVRANGE` and one `MGET` with no MySQL on the hot path.
//!
//! The set only ever rises (`ZADD GT` with absolute counts read from MySQL after each fold), so
//! replays, reorderings and a rebuild racing a fold all converge on MySQL's counts. A marker key
//! records that the set was built; when Redis loses it (flush, failover) the service rebuilds the
//! set from MySQL at start-up and on a timer. Keys are prefixed by the service's database name.

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use crate::store::videos::VideoRow;

/// Most members per `ZADD` while rebuilding.
const REBUILD_CHUNK: usize = 1000;

#[derive(Clone)]
pub struct Ranking {
    redis: ConnectionManager,
    rank_key: String,
    built_key: String,
    row_prefix: String,
    capacity: u64,
    row_ttl_secs: u64,
}

impl Ranking {
    pub fn new(
        redis: ConnectionManager,
        namespace: &str,
        capacity: u64,
        row_ttl_secs: u64,
    ) -> Self {
        Self {
            redis,
            rank_key: format!("{namespace}:popular"),
            built_key: format!("{namespace}:popular:built"),
            row_prefix: format!("{namespace}:video:"),
            capacity: capacity.max(1),
            row_ttl_secs: row_ttl_secs.max(1),
        }
    }

    /// `(video id, visit count)` from rank `offset`, at most `limit`, best first.
    pub async fn page(&self, offset: i64, limit: i64) -> redis::RedisResult<Vec<(i64, i64)>> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let stop = (offset + limit - 1) as isize;
        let mut conn = self.redis.clone();
        let rows: Vec<(String, f64)> = conn
            .zrevrange_withscores(&self.rank_key, offset as isize, stop)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, score)| Some((id.parse().ok()?, score as i64)))
            .collect())
    }

    /// How many videos the ranking holds.
    pub async fn len(&self) -> redis::RedisResult<i64> {
        self.redis.clone().zcard(&self.rank_key).await
    }

    /// Raises the scores of `counts` (absolute visit counts) and trims the set to its capacity.
    pub async fn raise(&self, counts: &[(i64, i64)]) -> redis::RedisResult<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut zadd = redis::cmd("ZADD");
        zadd.arg(&self.rank_key).arg("GT");
        for (id, n) in counts {
            zadd.arg(*n).arg(*id);
        }
        let mut conn = self.redis.clone();
        redis::pipe()
            .add_command(zadd)
            .ignore()
            .zremrangebyrank(&self.rank_key, 0, -(self.capacity as isize) - 1)
            .ignore()
            .query_async::<()>(&mut conn)
            .await
    }

    /// Drops a video from the ranking and the row cache (deleted, or found missing).
    pub async fn remove(&self, id: i64) -> redis::RedisResult<()> {
        let mut conn = self.redis.clone();
        redis::pipe()
            .zrem(&self.rank_key, id)
            .ignore()
            .del(self.row_key(id))
            .ignore()
            .query_async::<()>(&mut conn)
            .await
    }

    /// Drops a cached row (its video changed).
    pub async fn forget(&self, id: i64) -> redis::RedisResult<()> {
        self.redis.clone().del(self.row_key(id)).await
    }

    /// Whether the ranking was built since Redis last lost it.
    pub async fn is_built(&self) -> redis::RedisResult<bool> {
        self.redis.clone().exists(&self.built_key).await
    }

    /// Loads `top` (the most visited videos, from MySQL) into the set and marks it built.
    pub async fn rebuild(&self, top: &[(i64, i64)]) -> redis::RedisResult<()> {
        for chunk in top.chunks(REBUILD_CHUNK) {
            self.raise(chunk).await?;
        }
        self.redis.clone().set(&self.built_key, 1).await
    }

    /// Cached rows of `ids`, `None` where not cached (or unreadable).
    pub async fn rows(&self, ids: &[i64]) -> redis::RedisResult<Vec<Option<VideoRow>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| self.row_key(*id)).collect();
        let mut conn = self.redis.clone();
        let raw: Vec<Option<Vec<u8>>> =
            redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
        Ok(raw
            .into_iter()
            .map(|r| r.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
            .collect())
    }

    /// Caches `rows` for the configured time.
    pub async fn cache_rows(&self, rows: &[VideoRow]) -> redis::RedisResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for row in rows {
            let json = serde_json::to_vec(row).unwrap_or_default();
            pipe.set_ex(self.row_key(row.id), json, self.row_ttl_secs)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.redis.clone()).await
    }

    fn row_key(&self, id: i64) -> String {
        format!("{}{id}", self.row_prefix)
    }
}
