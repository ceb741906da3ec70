//! The social subgraph: likes, comments, follows, friends, their counters, and chat.
//!
//! Map: [`config`], [`domain`] (action codes, comment rules, event types), [`store`] (sqlx
//! functions; likes and comments sharded by video id), [`usecases`] (each action writes its rows
//! and its event in one transaction), [`consumers`] (events folded into counters; videos and users
//! learnt from their services' events), [`schema`] (GraphQL, federation v2), [`chat`] (the `/ws`
//! WebSocket), [`error`], [`metrics`]. [`run`] serves on a listener until `shutdown`, with its background tasks: the
//! outbox relay, the two consumers and the pruning of applied event ids. [`rebuild_counters`]
//! recomputes every counter from the source rows.

pub mod chat;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod schema;
pub mod store;
pub mod usecases;

use std::future::Future;
use std::time::Duration;

use kit::kafka::{ConsumerSpec, TopicSpec};
use sqlx::MySqlPool;

use kit::config::ConsumerConfig;

use crate::config::Config;
use crate::store::shards::Shards;
use crate::usecases::Social;

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects, migrates and opens the shard tables.
async fn open(config: &Config) -> anyhow::Result<(MySqlPool, Shards)> {
    let pool = kit::db::connect(&config.db, &MIGRATOR).await?;
    kit::outbox::migrate(&pool).await?;
    let shards = Shards::open(&pool, config.shards.count).await?;
    Ok((pool, shards))
}

/// Connects, migrates, then serves until `shutdown`.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (pool, shards) = open(&config).await?;
    let topics = &config.topics;
    metrics::init(&[&topics.interactions, &topics.videos, &topics.users]);
    let producer = kit::kafka::Producer::new(&config.kafka)?;
    let relay = kit::outbox::Relay::new(pool.clone(), producer);
    let social = Social {
        pool: pool.clone(),
        shards,
        topic: config.topics.interactions.clone(),
        relay: relay.notifier(),
        max_comment_chars: config.comments.max_chars,
        chat: config.chat,
    };

    let stop = kit::server::Stop::new();
    tokio::spawn(relay.run(stop.wait()));
    let interactions = TopicSpec::new(
        &config.topics.interactions,
        config.topics.interactions_partitions,
    );
    let folder = pool.clone();
    tokio::spawn(kit::kafka::serve_consumer(
        spec(
            &config,
            &config.counters,
            vec![config.topics.interactions.clone()],
        ),
        vec![interactions],
        move |batch: Vec<kit::kafka::Record>| {
            let pool = folder.clone();
            async move { consumers::fold_counters(&pool, &batch).await }
        },
        stop.wait(),
    ));
    let learner = pool.clone();
    // The video and user services create their topics; creating them here too lets this service
    // start first (with the producers' default partition count).
    let announced = vec![
        TopicSpec::new(&config.topics.videos, kit::kafka::EVENT_TOPIC_PARTITIONS),
        TopicSpec::new(&config.topics.users, kit::kafka::EVENT_TOPIC_PARTITIONS),
    ];
    tokio::spawn(kit::kafka::serve_consumer(
        spec(
            &config,
            &config.known,
            vec![config.topics.videos.clone(), config.topics.users.clone()],
        ),
        announced,
        move |batch: Vec<kit::kafka::Record>| {
            let pool = learner.clone();
            async move { consumers::learn(&pool, &batch).await }
        },
        stop.wait(),
    ));
    tokio::spawn(prune(
        pool.clone(),
        Duration::from_secs(config.counters.dedupe_retention_hours * 3600),
        stop.wait(),
    ));

    let callers = kit::caller::CallerVerifier::new(&config.auth.callers)?;
    let hub = std::sync::Arc::<chat::hub::Hub>::default();
    let redis = kit::cache::connect(&config.redis).await?;
    let relay = std::sync::Arc::new(chat::relay::Relay::new(
        redis,
        config.chat_relay.channel.clone(),
    ));
    tokio::spawn(std::sync::Arc::clone(&relay).receive(
        config.redis.clone(),
        std::sync::Arc::clone(&hub),
        stop.wait(),
    ));
    let chat = chat::routes(chat::Chat {
        social: social.clone(),
        hub,
        relay,
        limiter: std::sync::Arc::default(),
        callers: callers.clone(),
        stop: stop.clone(),
    });
    let schema = schema::build(social);
    let subgraph = kit::graphql_http::Subgraph {
        name: "social",
        callers: &callers,
        http: &config.http,
        checks: vec![kit::db::readiness(&pool)],
    };
    kit::graphql_http::serve_subgraph_with(subgraph, schema, chat, listener, stop.after(shutdown))
        .await?;
    Ok(())
}

fn spec(config: &Config, consumer: &ConsumerConfig, topics: Vec<String>) -> ConsumerSpec {
    ConsumerSpec::from_config(&config.kafka, consumer, topics)
}

/// Prunes applied event ids every [`consumers::PRUNE_EVERY`] until `stop`.
async fn prune(pool: MySqlPool, retention: Duration, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut timer = tokio::time::interval(consumers::PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = timer.tick() => consumers::prune(&pool, retention).await,
        }
    }
}

/// Recomputes every counter from the source rows; safe while the service runs.
pub async fn rebuild_counters(config: &Config) -> anyhow::Result<store::counters::Rebuilt> {
    let (pool, shards) = open(config).await?;
    let rebuilt = store::counters::rebuild(&pool, &shards, &config.topics.interactions).await?;
    pool.close().await;
    Ok(rebuilt)
}
