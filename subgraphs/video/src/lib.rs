//! The video subgraph: videos, the feed, uploader lists, the popular ranking and visit counts.
//!
//! Map (the shape every service has): [`schema`] (GraphQL, federation v2; the edge) is thin over
//! [`usecases`] (registration, deletion, the lists, visits), which use [`domain`] (registration
//! rules, event types; no I/O), [`store`] (sqlx functions) and [`adapters`] (the Redis ranking
//! behind `popular`, the Redis feed cache, ffmpeg cover extraction off the request path). Also [`consumers`] (the visit
//! consumer), [`error`], [`config`], [`metrics`]. [`run`] serves on a listener until `shutdown`, with its
//! background tasks: the outbox relay, the visit consumer, the ranking check and the cover worker.

pub mod adapters;
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

use crate::adapters::ranking::Ranking;
use crate::config::Config;
use crate::usecases::Catalog;

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects, migrates, rebuilds the ranking if Redis lost it, then serves until `shutdown`.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = kit::db::connect(&config.db, &MIGRATOR).await?;
    metrics::init();
    kit::outbox::migrate(&pool).await?;
    let redis = kit::cache::connect(&config.redis).await?;
    let ranking = Ranking::new(
        redis.clone(),
        &config.db.database,
        config.popular.capacity,
        config.popular.cache_ttl_secs,
    );
    let producer = kit::kafka::Producer::new(&config.kafka)?;
    let presigner = kit::s3::Presigner::new(&config.s3)?;
    let urls = kit::s3::ObjectUrls::new(&config.urls, &config.s3)?;
    let relay = kit::outbox::Relay::new(pool.clone(), producer.clone());
    let (covers, cover_rx) = adapters::covers::queue();
    let feed_cache =
        adapters::feed_cache::FeedCache::new(redis.clone(), &config.db.database, config.feed_cache);
    let catalog = Catalog {
        pool: pool.clone(),
        ranking: ranking.clone(),
        feed_cache: feed_cache.clone(),
        producer,
        topics: config.topics.clone(),
        relay: relay.notifier(),
        covers: covers.clone(),
        // Keys are namespaced by the service's database, so test instances never share counts.
        visit_limiter: kit::ratelimit::RateLimiter::new(redis.clone(), config.db.database.clone()),
        visit_limit: config.visit_limit.per_viewer,
    };
    check_ranking(&catalog, config.popular.capacity).await;
    adapters::covers::sweep(&pool, &covers).await;

    let stop = kit::server::Stop::new();
    tokio::spawn(relay.run(stop.wait()));
    tokio::spawn(consume_visits(config.clone(), catalog.clone(), stop.wait()));
    tokio::spawn(background(config.clone(), catalog.clone(), stop.wait()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(config.cover.timeout_secs))
        .build()?;
    let worker = adapters::covers::CoverWorker {
        cfg: config.cover.clone(),
        pool: pool.clone(),
        ranking,
        feed_cache,
        presigner: presigner.clone(),
        topics: config.topics.clone(),
        relay: catalog.relay.clone(),
        http: http.clone(),
    };
    let default_key = config.cover.default_key.clone();
    tokio::spawn(async move {
        adapters::covers::ensure_default(&http, &presigner, &default_key).await;
        worker.run(cover_rx).await;
    });

    let callers = kit::caller::CallerVerifier::new(&config.auth.callers)?;
    let schema = schema::build(
        catalog,
        urls,
        schema::DefaultCover(config.cover.default_key.clone()),
    );
    let checks = vec![kit::db::readiness(&pool), kit::cache::readiness(&redis)];
    kit::graphql_http::serve_subgraph(
        "video",
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

/// Rebuilds the Redis ranking from MySQL when Redis lost it (first start, flush, failover).
async fn check_ranking(catalog: &Catalog, capacity: u64) {
    match catalog.ranking.is_built().await {
        Ok(true) => return,
        Ok(false) => {}
        Err(err) => {
            tracing::warn!(error.message = %err, "ranking check failed");
            return;
        }
    }
    let top = match store::videos::top_counts(&catalog.pool, capacity as i64).await {
        Ok(top) => top,
        Err(err) => {
            tracing::warn!(error.message = %err, "reading visit counts failed");
            return;
        }
    };
    match catalog.ranking.rebuild(&top).await {
        Ok(()) => {
            metrics::ranking_rebuilt();
            tracing::info!(videos = top.len(), "popular ranking rebuilt from MySQL");
        }
        Err(err) => tracing::warn!(error.message = %err, "ranking rebuild failed"),
    }
}

/// Creates the topics, then folds visits until `stop`.
async fn consume_visits(config: Config, catalog: Catalog, stop: impl Future<Output = ()>) {
    let topics = vec![
        kit::kafka::TopicSpec::new(&config.topics.visits, config.topics.visits_partitions),
        kit::kafka::TopicSpec::new(&config.topics.events, config.topics.events_partitions),
    ];
    let spec = kit::kafka::ConsumerSpec::from_config(
        &config.kafka,
        &config.visits,
        vec![config.topics.visits.clone()],
    );
    let handler = |batch: Vec<kit::kafka::Record>| {
        let catalog = catalog.clone();
        async move { consumers::handle(&catalog, &batch).await }
    };
    kit::kafka::serve_consumer(spec, topics, handler, stop).await;
}

/// Periodic upkeep: the ranking check and pruning of applied visit ids.
async fn background(config: Config, catalog: Catalog, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let retention = Duration::from_secs(config.visits.dedupe_retention_hours * 3600);
    let mut check = tokio::time::interval(Duration::from_secs(config.popular.check_secs.max(1)));
    let mut prune = tokio::time::interval(consumers::PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = check.tick() => check_ranking(&catalog, config.popular.capacity).await,
            _ = prune.tick() => consumers::prune(&catalog.pool, retention).await,
        }
    }
}
