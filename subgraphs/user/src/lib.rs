//! The user subgraph: accounts, double tokens, TOTP MFA and avatars.
//!
//! Map (the shape every service has): [`schema`] (GraphQL, federation v2; the edge) is thin over
//! [`usecases`] (accounts, tokens, MFA, avatars), which use [`domain`] (rules: usernames, passwords
//! and argon2, TOTP and its replay window, sealing MFA secrets, events; no I/O), [`store`] (sqlx
//! functions) and [`adapters`] (login throttling in Redis). Also [`error`] (this crate's failures
//! mapped to kit's table), [`config`] (layered config), [`metrics`] (business counters).
//! [`run`] serves it on a listener until `shutdown`, so tests start the real service on port 0.

pub mod adapters;
pub mod config;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod schema;
pub mod store;
pub mod usecases;

use std::future::Future;
use std::sync::Arc;

use kit::caller::CallerVerifier;
use tokio::sync::Semaphore;

use crate::adapters::guard::LoginGuard;
use crate::config::Config;
use crate::domain::password::PasswordHasher;
use crate::domain::secretbox::SecretBox;
use crate::usecases::Accounts;
use kit::token::TokenKeys;

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects, migrates and serves until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = kit::db::connect(&config.db, &MIGRATOR).await?;
    kit::outbox::migrate(&pool).await?;
    let producer = kit::kafka::Producer::new(&config.kafka)?;
    let relay = kit::outbox::Relay::new(pool.clone(), producer);
    let redis = kit::cache::connect(&config.redis).await?;
    // Keys are namespaced by the service's database, so test instances never share counts.
    let limiter = kit::ratelimit::RateLimiter::new(redis.clone(), config.db.database.clone());
    let auth = &config.auth;
    let accounts = Accounts {
        pool: pool.clone(),
        hasher: PasswordHasher::new(
            config.password.memory_kib,
            config.password.iterations,
            config.password.parallelism,
        )?,
        keys: TokenKeys::new(&auth.jwt_key, auth.access_ttl_secs, auth.refresh_ttl_secs)?,
        secrets: SecretBox::new(&auth.mfa_key)?,
        guard: LoginGuard::new(limiter, config.login_limit),
        events_topic: config.topics.events.clone(),
        relay: relay.notifier(),
        hash_slots: Arc::new(Semaphore::new(config.password.max_concurrent_hashes.max(1))),
    };
    let callers = CallerVerifier::new(&auth.callers)?;
    let avatars = kit::s3::ObjectUrls::new(&config.avatar, &config.s3)?;
    let schema = schema::build(accounts, avatars);
    let stop = kit::server::Stop::new();
    let topics = vec![kit::kafka::TopicSpec::new(
        &config.topics.events,
        config.topics.events_partitions,
    )];
    let brokers = config.kafka.brokers.clone();
    let tasks = stop.clone();
    tokio::spawn(async move {
        if kit::kafka::ensure_topics_retrying(&brokers, &topics, tasks.wait()).await {
            relay.run(tasks.wait()).await;
        }
    });
    let checks = vec![kit::db::readiness(&pool), kit::cache::readiness(&redis)];
    kit::graphql_http::serve_subgraph(
        "user",
        schema,
        &callers,
        &config.http,
        checks,
        listener,
        stop.after(shutdown),
    )
    .await?;
    Ok(())
}
