//! The video service's configuration: embedded defaults (`config/default.toml`), then
//! `CLIPFED_CONFIG`, then `CLIPFED_<SECTION>__<KEY>` variables.

use kit::config::{
    ConsumerConfig, DbConfig, HttpConfig, KafkaConfig, RedisConfig, TelemetryConfig,
};
use serde::Deserialize;

/// The embedded defaults: they work on a fresh machine with `clipfed up`.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub db: DbConfig,
    pub redis: RedisConfig,
    pub kafka: KafkaConfig,
    pub topics: Topics,
    pub visits: ConsumerConfig,
    pub visit_limit: VisitLimit,
    pub popular: PopularConfig,
    pub feed_cache: crate::adapters::feed_cache::FeedCacheConfig,
    pub cover: CoverConfig,
    pub telemetry: TelemetryConfig,
    pub auth: kit::config::CallerAuth,
    pub urls: kit::s3::UrlConfig,
    pub s3: kit::s3::S3Config,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topics {
    pub visits: String,
    pub visits_partitions: i32,
    pub events: String,
    pub events_partitions: i32,
}

/// Counted visits per viewer and video.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitLimit {
    pub per_viewer: kit::ratelimit::Limit,
}

/// The Redis ranking behind `popular`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopularConfig {
    pub capacity: u64,
    pub cache_ttl_secs: u64,
    pub check_secs: u64,
}

/// Cover extraction with ffmpeg.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverConfig {
    pub ffmpeg: String,
    pub ffprobe: String,
    pub seek_secs: f64,
    pub timeout_secs: u64,
    pub concurrency: usize,
    pub default_key: String,
}

/// This service on the local servers `at` with a database, topics, groups and keys of its own and
/// short batch waits: what its tests, the upload tests and the router's end-to-end stack run on.
pub fn local(at: &kit::config::LocalServers) -> Result<Config, kit::config::ConfigError> {
    let mut c: Config = kit::config::load_from(DEFAULTS, None, Vec::new())?;
    c.http.listen = "127.0.0.1:0".into();
    at.own_database(&mut c.db, "video");
    c.redis.url = secrecy::SecretString::from(at.redis_url.clone());
    c.kafka.brokers = at.kafka_brokers.clone();
    c.topics.visits = at.name("video_visits");
    c.topics.events = at.name("video_events");
    c.topics.visits_partitions = 2;
    c.topics.events_partitions = 1;
    c.visits.group = at.name("video_group");
    c.visits.max_wait_ms = 50;
    c.s3.endpoint = at.s3_endpoint.clone();
    Ok(c)
}

impl Config {
    /// Loads and checks the configuration.
    pub fn load() -> anyhow::Result<Self> {
        let cfg: Self = kit::config::load(DEFAULTS)?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Production must not run on the development keys.
    pub fn check(&self) -> anyhow::Result<()> {
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
    fn development_defaults_load_and_pass_outside_production() {
        with(&[]).check().unwrap();
    }

    #[test]
    fn production_refuses_the_development_keys() {
        let err = with(&[("CLIPFED_AUTH__PRODUCTION", "true")])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("auth.callers.router"), "{err}");
        let err = with(&[
            ("CLIPFED_AUTH__PRODUCTION", "true"),
            (
                "CLIPFED_AUTH__CALLERS__ROUTER",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            (
                "CLIPFED_AUTH__CALLERS__UPLOAD",
                "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
        ])
        .check()
        .unwrap_err();
        assert!(err.to_string().contains("s3.secret_key"), "{err}");
    }
}
