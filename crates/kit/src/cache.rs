//! Redis: one multiplexed, self-reconnecting connection per process, with bounded waits.
//!
//! Every call either answers or fails within `timeout_ms`, so a stalled Redis turns into a coded
//! `UNAVAILABLE` error instead of requests piling up. [`ping`] backs the `/readyz` check.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::config::RedisConfig;
use crate::error::{AppError, ErrorCode};

/// A cheap-to-clone handle; clones share the one connection.
pub type Redis = ConnectionManager;

/// Connects (failing within the timeout when Redis is unreachable).
pub async fn connect(config: &RedisConfig) -> Result<Redis, redis::RedisError> {
    let client = redis::Client::open(config.url.expose_secret())?;
    let wait = Duration::from_millis(config.timeout_ms);
    let options = ConnectionManagerConfig::new()
        .set_connection_timeout(wait)
        .set_response_timeout(wait)
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, options).await
}

/// `PING`, for readiness checks.
pub async fn ping(redis: &Redis) -> Result<(), String> {
    let mut conn = redis.clone();
    let reply: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    (reply == "PONG")
        .then_some(())
        .ok_or_else(|| format!("unexpected PING reply {reply:?}"))
}

/// A Redis failure as a client sees it: the dependency is unavailable (the cause is logged).
pub fn unavailable(err: redis::RedisError) -> AppError {
    AppError::with_message(
        ErrorCode::Unavailable,
        "a dependency is unavailable, retry later",
    )
    .caused(err)
}

/// The `/readyz` check of the Redis connection.
pub fn readiness(redis: &Redis) -> crate::server::Check {
    let redis = redis.clone();
    crate::server::Check::new("redis", move || {
        let redis = redis.clone();
        async move { ping(&redis).await }
    })
}
