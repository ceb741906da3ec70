//! The search subgraph: keyword search over videos (Chinese and English) and image search on
//! Milvus, both fed by other services' events.
//!
//! Map (the shape every service has): [`schema`] (GraphQL) and [`http`] (the image routes) are the
//! edges, thin over [`usecases`] (keyword search, image search and indexing), which use
//! [`domain`] (the tokenizer, the events read; no I/O), [`store`] (the keyword index and image
//! records in MySQL) and [`adapters`] (image → vector, Milvus, S3). Also [`consumers`] (the
//! indexer), [`error`], [`config`], [`metrics`]. [`run`] serves until `shutdown`, with the indexer.

pub mod adapters;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod error;
pub mod http;
pub mod metrics;
pub mod schema;
pub mod store;
pub mod usecases;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kit::auth::Credentials;
use kit::kafka::{ConsumerSpec, TopicSpec};

use crate::adapters::embed::Embedder;
use crate::config::{Config, EmbedderKind};
use crate::usecases::images::Images;

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct AppState {
    pub images: Images,
    pub credentials: Credentials,
}

/// The configured embedder.
pub fn embedder(config: &config::EmbedderConfig) -> anyhow::Result<Arc<dyn Embedder>> {
    Ok(match config.kind {
        EmbedderKind::Onnx => Arc::new(adapters::embed::onnx::OnnxEmbedder::load(
            &config.model_path,
            config.slots,
        )?),
        EmbedderKind::Remote => Arc::new(adapters::embed::remote::RemoteEmbedder::new(
            &config.remote_url,
            config.remote_dimension,
            Duration::from_millis(config.remote_timeout_ms),
        )?),
    })
}

/// Connects to MySQL, Milvus and S3 and loads the model.
pub async fn open(config: &Config) -> anyhow::Result<Images> {
    let pool = kit::db::connect(&config.db, &MIGRATOR).await?;
    let embedder = embedder(&config.embedder)?;
    let vectors = adapters::vectors::Vectors::open(&config.milvus, embedder.dimension())
        .await
        .map_err(|e| anyhow::anyhow!("Milvus at {}: {e}", config.milvus.uri))?;
    let presigner = kit::s3::Presigner::new(&config.s3)?;
    let urls = kit::s3::ObjectUrls::new(&config.urls, &config.s3)?;
    Ok(Images {
        pool,
        vectors,
        embedder,
        objects: adapters::objects::Objects::new(presigner)?,
        urls,
        max_bytes: config.images.max_bytes,
        max_k: config.images.max_k,
        max_files: config.images.max_files,
    })
}

/// Connects, migrates, then serves until `shutdown`.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let images = open(&config).await?;
    metrics::init(&[&config.topics.videos, &config.topics.users]);
    let pool = images.pool.clone();
    let credentials = kit::auth::Credentials::from_config(&config.auth)?;

    let stop = kit::server::Stop::new();
    let indexer = images.clone();
    // The video and user services create these topics; creating them here too lets this service
    // start first (with the producers' default partition count).
    let topics = vec![
        TopicSpec::new(&config.topics.videos, kit::kafka::EVENT_TOPIC_PARTITIONS),
        TopicSpec::new(&config.topics.users, kit::kafka::EVENT_TOPIC_PARTITIONS),
    ];
    tokio::spawn(kit::kafka::serve_consumer(
        ConsumerSpec::from_config(
            &config.kafka,
            &config.indexer,
            vec![config.topics.videos.clone(), config.topics.users.clone()],
        ),
        topics,
        move |batch: Vec<kit::kafka::Record>| {
            let images = indexer.clone();
            async move { consumers::apply(&images.pool, &images, &batch).await }
        },
        stop.wait(),
    ));

    let graphql = kit::graphql_http::router(
        "/graphql",
        schema::build(
            usecases::keywords::Keywords { pool: pool.clone() },
            images.clone(),
        ),
        Some(kit::graphql_http::vouched_hook(&credentials.callers)),
        config.http.body_limit,
    );
    let state = AppState {
        images,
        credentials,
    };
    let served = kit::server::Served {
        name: "search",
        routes: graphql.merge(http::routes(state)),
        checks: vec![kit::db::readiness(&pool)],
        http: &config.http,
        graphql_path: Some("/graphql"),
    };
    kit::server::serve_configured(listener, served, stop.after(shutdown)).await?;
    Ok(())
}
