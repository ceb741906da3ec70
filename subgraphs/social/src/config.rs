//! The social service's configuration: embedded defaults (`config/default.toml`), then
//! `CLIPFED_CONFIG`, then `CLIPFED_<SECTION>__<KEY>` variables.

use kit::config::{ConsumerConfig, DbConfig, HttpConfig, KafkaConfig, TelemetryConfig};
use serde::Deserialize;

/// The embedded defaults: they work on a fresh machine with `clipfed up`.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub db: DbConfig,
    pub kafka: KafkaConfig,
    pub topics: Topics,
    pub counters: ConsumerConfig,
    pub known: ConsumerConfig,
    pub shards: ShardConfig,
    pub comments: CommentConfig,
    pub chat: ChatConfig,
    pub chat_relay: ChatRelayConfig,
    pub redis: kit::config::RedisConfig,
    pub telemetry: TelemetryConfig,
    pub auth: kit::config::CallerAuth,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topics {
    pub interactions: String,
    pub interactions_partitions: i32,
    pub videos: String,
    pub users: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardConfig {
    pub count: u32,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentConfig {
    pub max_chars: usize,
}

/// Limits of the chat WebSocket (`/ws`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatConfig {
    /// Longest message, in characters.
    pub max_chars: usize,
    /// Largest group, its owner included.
    pub max_group_members: usize,
    /// Largest client frame, in bytes; a larger one closes the connection (1009).
    pub max_frame_bytes: usize,
    /// Pushes queued per connection; a client that falls this far behind is disconnected and
    /// reads what it missed from the history.
    pub push_buffer: usize,
    /// Messages (private and group) one user may send per minute, on this instance.
    pub sends_per_minute: u32,
    /// Groups one user may create per minute, on this instance.
    pub groups_per_minute: u32,
}

/// Chat pushes across instances (`crate::chat::relay`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRelayConfig {
    /// The Redis pub/sub channel every social instance publishes pushes on and follows.
    pub channel: String,
}

/// This service on the local servers `at` with a database, topics, groups and keys of its own and
/// short batch waits: what its tests, the upload tests and the router's end-to-end stack run on.
pub fn local(at: &kit::config::LocalServers) -> Result<Config, kit::config::ConfigError> {
    let mut c: Config = kit::config::load_from(DEFAULTS, None, Vec::new())?;
    c.http.listen = "127.0.0.1:0".into();
    at.own_database(&mut c.db, "social");
    c.kafka.brokers = at.kafka_brokers.clone();
    c.topics.interactions = at.name("interactions");
    c.topics.interactions_partitions = 2;
    c.topics.videos = at.name("social_videos");
    c.topics.users = at.name("social_users");
    c.counters.group = at.name("social_counters");
    c.counters.max_wait_ms = 50;
    c.known.group = at.name("social_known");
    c.known.max_wait_ms = 50;
    c.redis.url = secrecy::SecretString::from(at.redis_url.clone());
    c.chat_relay.channel = at.name("chat_relay");
    Ok(c)
}

impl Config {
    /// Loads and checks the configuration.
    pub fn load() -> anyhow::Result<Self> {
        let cfg: Self = kit::config::load(DEFAULTS)?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Production must not run on the development keys; the shard count must be usable.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=64).contains(&self.shards.count) {
            anyhow::bail!("shards.count must be between 1 and 64");
        }
        Ok(self.auth.check()?)
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
        let cfg = with(&[]);
        cfg.check().unwrap();
        assert_eq!(cfg.shards.count, 4);
    }

    #[test]
    fn production_refuses_the_development_key_and_bad_shard_counts_are_refused() {
        let err = with(&[("CLIPFED_AUTH__PRODUCTION", "true")])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("auth.callers.router"), "{err}");
        for n in ["0", "65"] {
            let err = with(&[("CLIPFED_SHARDS__COUNT", n)]).check().unwrap_err();
            assert!(err.to_string().contains("shards.count"), "{n}: {err}");
        }
    }
}
