//! Redis: one multiplexed, self-reconnecting connection per process, with bounded waits.
//!
//! Every call either answers or fails within `timeout_ms`, so a stalled Redis turns into a coded
//! `UNAVAILABLE` error instead of requests piling up. [`ping`] backs the `/readyz` check.
//! [`publish`] and [`follow_channel`] are Redis pub/sub: at most once, to whoever listens now.

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

/// Publishes `payload` on `channel`.
pub async fn publish(
    redis: &Redis,
    channel: &str,
    payload: &[u8],
) -> Result<(), redis::RedisError> {
    let mut conn = redis.clone();
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(payload)
        .query_async::<i64>(&mut conn)
        .await
        .map(drop)
}

/// How many subscriptions `channel` has now (`PUBSUB NUMSUB`).
pub async fn subscribers(redis: &Redis, channel: &str) -> Result<i64, redis::RedisError> {
    let mut conn = redis.clone();
    let (_, n): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(&mut conn)
        .await?;
    Ok(n)
}

/// Calls `on_message` with each message published on `channel` until `stop`. A lost subscription
/// is made again after a second; what was published meanwhile is missed.
pub async fn follow_channel(
    config: &RedisConfig,
    channel: &str,
    mut on_message: impl FnMut(&[u8]),
    stop: impl std::future::Future<Output = ()>,
) {
    use futures::StreamExt;
    let mut stop = std::pin::pin!(stop);
    loop {
        let subscription = async {
            let client = redis::Client::open(config.url.expose_secret())?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(channel).await?;
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                on_message(message.get_payload_bytes());
            }
            Ok::<(), redis::RedisError>(())
        };
        tokio::select! {
            ended = subscription => {
                let why = ended.err().map_or_else(|| "closed".to_owned(), |e| e.to_string());
                tracing::warn!(redis.channel = channel, error.message = %why, "subscription lost; subscribing again");
            }
            () = &mut stop => return,
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = &mut stop => return,
        }
    }
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
