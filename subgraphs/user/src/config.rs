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
/// The secret of the local s3s-fs in the defaults; production refuses it too.
const LOCAL_S3_SECRET: &str = "clipfed-local-secret";

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
            anyhow::ensure!(
                self.s3.secret_key.expose_secret() != LOCAL_S3_SECRET,
                "s3.secret_key is the local s3s-fs key; set CLIPFED_S3__SECRET_KEY"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(env: &[(&str, &str)]) -> Config {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        kit::config::load_from(DEFAULTS, None, env).unwrap()
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
                "CLIPFED_AUTH__CALLER_KEY",
                "a-real-caller-key-of-32-bytes-or-more",
            ),
            (
                "CLIPFED_AUTH__MFA_KEY",
                "a-real-mfa-key-of-at-least-32-bytes!!",
            ),
        ];
        let err = with(&keys).check().unwrap_err().to_string();
        assert!(err.contains("s3.secret_key"), "{err}");
        let mut all = keys.to_vec();
        all.push(("CLIPFED_S3__SECRET_KEY", "a-real-s3-secret"));
        with(&all).check().unwrap();
    }
}
