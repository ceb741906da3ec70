//! The search subgraph: keyword search over videos (Chinese and English) and image search on
//! Milvus, both fed by other services' events.
//!
//! Map: [`config`], [`domain`] (the tokenizer, the events read), [`store`] (the keyword index and
//! image records in MySQL), [`embed`] (image → vector: ONNX in process or a remote model),
//! [`vectors`] (Milvus), [`objects`] (image bytes in S3), [`images`] (image use cases),
//! [`consumers`] (the indexer), [`schema`] (GraphQL), [`http`] (the image routes), [`metrics`].
//! [`run`] serves until `shutdown`, with the indexer.

pub mod config;
pub mod consumers;
pub mod domain;
pub mod embed;
pub mod http;
pub mod images;
pub mod metrics;
pub mod objects;
pub mod schema;
pub mod store;
pub mod vectors;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kit::auth::Credentials;
use kit::kafka::{ConsumerSpec, TopicSpec};

use crate::config::{Config, EmbedderKind};
use crate::embed::Embedder;
use crate::images::Images;

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
        EmbedderKind::Onnx => Arc::new(embed::onnx::OnnxEmbedder::load(
            &config.model_path,
            config.slots,
        )?),
        EmbedderKind::Remote => Arc::new(embed::remote::RemoteEmbedder::new(
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
    let vectors = vectors::Vectors::open(&config.milvus, embedder.dimension())
        .await
        .map_err(|e| anyhow::anyhow!("Milvus at {}: {e}", config.milvus.uri))?;
    let presigner = kit::s3::Presigner::new(&config.s3).map_err(anyhow::Error::msg)?;
    let urls = kit::s3::ObjectUrls::new(&config.urls, &config.s3).map_err(anyhow::Error::msg)?;
    Ok(Images {
        pool,
        vectors,
        embedder,
        objects: objects::Objects::new(presigner)?,
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
    let pool = images.pool.clone();
    let credentials = config.auth.credentials()?;

    let stop = kit::server::Stop::new();
    let indexer = images.clone();
    // The video and user services create these topics; creating them here too lets this service
    // start first (same partition counts as `clipfed up` provisions).
    let topics = vec![
        TopicSpec::new(&config.topics.videos, 3),
        TopicSpec::new(&config.topics.users, 3),
    ];
    tokio::spawn(kit::kafka::serve_consumer(
        ConsumerSpec {
            brokers: config.kafka.brokers.clone(),
            group: config.indexer.group.clone(),
            topics: vec![config.topics.videos.clone(), config.topics.users.clone()],
            max_batch: config.indexer.max_batch,
            max_wait: Duration::from_millis(config.indexer.max_wait_ms),
        },
        topics,
        move |batch: Vec<kit::kafka::Record>| {
            let images = indexer.clone();
            async move { consumers::apply(&images.pool, &images, &batch).await }
        },
        stop.wait(),
    ));

    let graphql = kit::graphql_http::router(
        "/graphql",
        schema::build(pool.clone(), images.clone()),
        Some(credentials.callers.graphql_hook()),
        config.http.body_limit,
    );
    let state = AppState {
        images,
        credentials,
    };
    let app = kit::server::app(
        graphql.merge(http::routes(state)),
        vec![kit::db::readiness(&pool)],
        config.http.body_limits(),
    );
    tracing::info!(server.address = %listener.local_addr()?, "search subgraph listening");
    kit::server::serve(listener, app, stop.after(shutdown), config.http.timeouts()).await?;
    Ok(())
}
