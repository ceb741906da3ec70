//! The user service's configuration: embedded defaults (`config/default.toml`), then `CLIPFED_CONFIG`,
//! then `CLIPFED_<SECTION>__<KEY>` variables.

use kit::config::{DbConfig, HttpConfig, RedisConfig, TelemetryConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::guard::LoginLimits;

/// The embedded defaults: they work on a fresh machine with `clipfed up`.
pub const DEFAULTS: &str = include_str!("../config/default.toml");
/// Marker of the development keys in the defaults; production refuses to start with them.
const DEV_KEY_PREFIX: &str = "dev-only-";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub db: DbConfig,
    pub redis: RedisConfig,
    pub login_limit: LoginLimits,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub password: PasswordConfig,
    pub avatar: AvatarConfig,
    pub s3: kit::s3::S3Config,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Refuse development keys.
    pub production: bool,
    /// HS256 key of the user tokens (shared with the router, which verifies access tokens).
    pub jwt_key: SecretString,
    /// Key of the internal `x-clipfed-caller` header (shared by every clipfed process).
    pub caller_key: SecretString,
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

/// How avatar URLs are made.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvatarConfig {
    /// `presigned` (private bucket; each URL signed with the `s3` credentials) or `public`.
    pub mode: AvatarMode,
    /// Base URL of a public bucket or CDN (mode `public`).
    pub base_url: String,
    /// Lifetime of a presigned URL, seconds (at most 7 days).
    pub url_expiry_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AvatarMode {
    Public,
    Presigned,
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
                ("jwt_key", &self.auth.jwt_key),
                ("caller_key", &self.auth.caller_key),
                ("mfa_key", &self.auth.mfa_key),
            ] {
                anyhow::ensure!(
                    !key.expose_secret().starts_with(DEV_KEY_PREFIX),
                    "auth.{name} is the development key; set CLIPFED_AUTH__{}",
                    name.to_uppercase()
                );
            }
        }
        Ok(())
    }
}
