//! The upload service's configuration: embedded defaults (`config/default.toml`), then
//! `CLIPFED_CONFIG`, then `CLIPFED_<SECTION>__<KEY>` variables.

use kit::config::{DbConfig, HttpConfig, TelemetryConfig};
use serde::Deserialize;

/// The embedded defaults: they work on a fresh machine with `clipfed up`.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// S3's smallest part (all but the last).
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// Largest part: the unsent tail (< one part) is kept in a MEDIUMBLOB and sent in one statement,
/// which must stay under MariaDB's default 16 MiB `max_allowed_packet`.
pub const MAX_PART: u64 = 15 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub db: DbConfig,
    pub limits: Limits,
    pub register: RegisterConfig,
    pub telemetry: TelemetryConfig,
    pub auth: kit::config::TokenAuth,
    pub s3: kit::s3::S3Config,
}

/// Sizes, concurrency and lifetimes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_size: u64,
    pub max_video: u64,
    pub max_avatar: u64,
    pub part_size: u64,
    pub max_active: usize,
    /// Requests one user may stream at once (of `max_active`).
    pub max_active_per_user: usize,
    pub expiry_secs: u64,
    pub sweep_secs: u64,
    pub max_metadata: usize,
}

/// Where finished uploads are recorded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterConfig {
    pub video_url: String,
    pub user_url: String,
    pub retry_secs: u64,
}

/// This service on the local servers `at` with a database of its own, recording into the video and
/// user subgraphs at `video_url` and `user_url`: what its tests and the router's end-to-end stack
/// run on.
pub fn local(
    at: &kit::config::LocalServers,
    video_url: String,
    user_url: String,
) -> Result<Config, kit::config::ConfigError> {
    let mut c: Config = kit::config::load_from(DEFAULTS, None, Vec::new())?;
    c.http.listen = "127.0.0.1:0".into();
    at.own_database(&mut c.db, "upload");
    c.s3.endpoint = at.s3_endpoint.clone();
    c.register.video_url = video_url;
    c.register.user_url = user_url;
    Ok(c)
}

impl Config {
    /// Loads and checks the configuration.
    pub fn load() -> anyhow::Result<Self> {
        let cfg: Self = kit::config::load(DEFAULTS)?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Sizes that S3 or MySQL would refuse later, and development keys in production.
    pub fn check(&self) -> anyhow::Result<()> {
        let l = &self.limits;
        if !(MIN_PART..=MAX_PART).contains(&l.part_size) {
            anyhow::bail!("limits.part_size must be between {MIN_PART} and {MAX_PART} bytes");
        }
        if l.max_video > l.max_size || l.max_avatar > l.max_size {
            anyhow::bail!("limits.max_video and limits.max_avatar must not exceed limits.max_size");
        }
        // S3 allows 10 000 parts per upload.
        if l.max_size > l.part_size * 10_000 {
            anyhow::bail!("limits.max_size needs more than 10 000 parts of limits.part_size");
        }
        if l.max_active == 0 || l.expiry_secs == 0 {
            anyhow::bail!("limits.max_active and limits.expiry_secs must be positive");
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
    fn development_defaults_load_and_pass_outside_production() {
        with(&[]).check().unwrap();
    }

    #[test]
    fn part_sizes_s3_or_mysql_would_refuse_are_refused_at_start() {
        for bad in ["1048576", "16777216"] {
            let err = with(&[("CLIPFED_LIMITS__PART_SIZE", bad)])
                .check()
                .unwrap_err();
            assert!(err.to_string().contains("part_size"), "{err}");
        }
        let err = with(&[("CLIPFED_LIMITS__MAX_AVATAR", "8589934592")])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("max_avatar"), "{err}");
    }

    #[test]
    fn production_refuses_the_development_keys() {
        let err = with(&[("CLIPFED_AUTH__PRODUCTION", "true")])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("auth.jwt_public_key"), "{err}");
        let err = with(&[
            ("CLIPFED_AUTH__PRODUCTION", "true"),
            (
                "CLIPFED_AUTH__JWT_PUBLIC_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            (
                "CLIPFED_AUTH__CALLERS__ROUTER",
                "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
        ])
        .check()
        .unwrap_err();
        assert!(err.to_string().contains("auth.signing_key"), "{err}");
    }
}
