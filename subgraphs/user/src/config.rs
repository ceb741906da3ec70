//! The user service's configuration: embedded defaults (`config/default.toml`), then `CLIPFED_CONFIG`,
//! then `CLIPFED_<SECTION>__<KEY>` variables.

use std::collections::BTreeMap;

use kit::config::{DbConfig, HttpConfig, KafkaConfig, RedisConfig, TelemetryConfig};
use secrecy::SecretString;
use serde::Deserialize;

use crate::adapters::guard::LoginLimits;

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
    pub login_limit: LoginLimits,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub password: PasswordConfig,
    /// Avatar URLs: presigned for a private bucket, or joined to a public base.
    pub avatar: kit::s3::UrlConfig,
    pub s3: kit::s3::S3Config,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topics {
    pub events: String,
    pub events_partitions: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Refuse development keys.
    pub production: bool,
    /// Secret of the Ed25519 key that signs user tokens (the router holds it too, for renewal;
    /// the other services check tokens with its public key).
    pub jwt_key: SecretString,
    /// Public keys of the signers whose `x-clipfed-caller` headers this service accepts.
    pub callers: BTreeMap<String, String>,
    /// Key that seals MFA secrets at rest.
    pub mfa_key: SecretString,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

/// argon2id cost (see docs/performance.md for the choice).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once; more wait. Peak hashing memory is this times `memory_kib`.
    pub max_concurrent_hashes: usize,
}

/// This service on the local servers `at` with a database, topics, groups and keys of its own and
/// short batch waits: what its tests, the upload tests and the router's end-to-end stack run on.
pub fn local(at: &kit::config::LocalServers) -> Result<Config, kit::config::ConfigError> {
    let mut c: Config = kit::config::load_from(DEFAULTS, None, Vec::new())?;
    c.http.listen = "127.0.0.1:0".into();
    at.own_database(&mut c.db, "user");
    c.redis.url = SecretString::from(at.redis_url.clone());
    c.s3.endpoint = at.s3_endpoint.clone();
    c.kafka.brokers = at.kafka_brokers.clone();
    c.topics.events = at.name("user_events");
    c.topics.events_partitions = 1;
    // Cheap hashing: tests check behaviour; the real cost is benchmarked (`benches/login.rs`).
    c.password.memory_kib = 1024;
    c.password.iterations = 1;
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
        if self.auth.production {
            for (name, key) in [
                ("auth.jwt_key", &self.auth.jwt_key),
                ("auth.mfa_key", &self.auth.mfa_key),
            ] {
                kit::config::refuse_dev_key(name, key)?;
            }
            kit::config::refuse_dev_callers(&self.auth.callers)?;
        }
        Ok(self.s3.check(self.auth.production)?)
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
    fn production_refuses_every_development_key_by_name() {
        let prod = [("CLIPFED_AUTH__PRODUCTION", "true")];
        let err = with(&prod).check().unwrap_err().to_string();
        assert!(err.contains("auth.jwt_key"), "{err}");
        let keys = [
            ("CLIPFED_AUTH__PRODUCTION", "true"),
            (
                "CLIPFED_AUTH__JWT_KEY",
                "a-real-jwt-key-of-at-least-32-bytes!!",
            ),
            (
                "CLIPFED_AUTH__CALLERS__ROUTER",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            (
                "CLIPFED_AUTH__CALLERS__UPLOAD",
                "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            (
                "CLIPFED_AUTH__MFA_KEY",
                "a-real-mfa-key-of-at-least-32-bytes!!",
            ),
        ];
        let err = with(&keys).check().unwrap_err().to_string();
        assert!(err.contains("s3.secret_key"), "{err}");
        let dev_callers: Vec<_> = keys
            .iter()
            .filter(|(k, _)| !k.contains("CALLERS"))
            .copied()
            .collect();
        let err = with(&dev_callers).check().unwrap_err().to_string();
        assert!(err.contains("auth.callers.router"), "{err}");
        let mut all = keys.to_vec();
        all.push(("CLIPFED_S3__SECRET_KEY", "a-real-s3-secret"));
        with(&all).check().unwrap();
    }
}
