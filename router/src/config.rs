//! The plugin's own section of `router.config.yaml` (`plugins.clipfed.config`). Every value can
//! come from the environment through Hive Router's `from_env` placeholders (the token public key
//! under the name the upload and search services read, `CLIPFED_AUTH__JWT_PUBLIC_KEY`).

use serde::{Deserialize, Deserializer};

/// Where the services behind the router listen, and the router's keys. `Debug` leaves the
/// signing secret out.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// Refuse development keys.
    #[serde(default, deserialize_with = "flag")]
    pub production: bool,
    /// The public key of the user service's token key (verifies access tokens at the edge).
    pub jwt_public_key: String,
    /// The secret of the key that signs `x-clipfed-caller` and `x-clipfed-client` for the
    /// services (they hold its public key as `auth.callers.router`).
    pub signing_key: String,
    /// The user subgraph's GraphQL endpoint (double-token renewal).
    pub user_url: String,
    /// The upload service's base URL (tus and the west2 file forms).
    pub upload_url: String,
    /// The search service's base URL (`POST /user/image/search`).
    pub search_url: String,
    /// The social service's base URL (`/ws`).
    pub social_url: String,
    /// etcd client URLs (comma-separated) of the service registry; empty: no registry, the
    /// configured URLs only (`docs/discovery.md`).
    #[serde(default)]
    pub registry_endpoints: String,
    /// The registry's key prefix (the services' `registry.prefix`).
    #[serde(default = "default_registry_prefix")]
    pub registry_prefix: String,
    /// Largest REST form body read at the edge (the file routes stream and have their own limits).
    #[serde(default = "default_form_limit")]
    pub form_limit_bytes: usize,
    /// Largest cost of one GraphQL operation ([`crate::limits`]).
    #[serde(default = "default_max_cost", deserialize_with = "number")]
    pub max_cost: u64,
    /// Comments, likes and follows per user (or client address) per minute ([`crate::throttle`]).
    #[serde(default = "default_writes", deserialize_with = "number")]
    pub writes_per_minute: u32,
    /// Image searches per client address per minute.
    #[serde(default = "default_image_searches", deserialize_with = "number")]
    pub image_searches_per_minute: u32,
    /// Uploads started per user per minute.
    #[serde(default = "default_uploads", deserialize_with = "number")]
    pub uploads_per_minute: u32,
    /// Proxies in front of the router whose `X-Forwarded-For` is believed ([`crate::client`]).
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

fn default_registry_prefix() -> String {
    "/clipfed/services".to_owned()
}

fn default_writes() -> u32 {
    120
}

fn default_image_searches() -> u32 {
    30
}

fn default_uploads() -> u32 {
    30
}

/// A number written either way: `20000` in YAML, or `"20000"` from an environment variable.
fn number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr + Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number<T> {
        Plain(T),
        Text(String),
    }
    match Number::<T>::deserialize(d)? {
        Number::Plain(n) => Ok(n),
        Number::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("expected a number, got {t:?}"))),
    }
}

impl std::fmt::Debug for PluginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginConfig")
            .field("production", &self.production)
            .field("jwt_public_key", &self.jwt_public_key)
            .field("signing_key", &"[REDACTED]")
            .field("user_url", &self.user_url)
            .field("upload_url", &self.upload_url)
            .field("search_url", &self.search_url)
            .field("social_url", &self.social_url)
            .field("registry_endpoints", &self.registry_endpoints)
            .field("registry_prefix", &self.registry_prefix)
            .field("form_limit_bytes", &self.form_limit_bytes)
            .field("max_cost", &self.max_cost)
            .field("writes_per_minute", &self.writes_per_minute)
            .field("image_searches_per_minute", &self.image_searches_per_minute)
            .field("uploads_per_minute", &self.uploads_per_minute)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// A feed page of 100 videos with 10 comments each costs about 12,000; 100 × 100 does not fit.
fn default_max_cost() -> u64 {
    20_000
}

fn default_form_limit() -> usize {
    1 << 20
}

/// A boolean written either way: `true` in YAML, or `"true"` from an environment variable.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(b) => Ok(b),
        Flag::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "production: expected true or false, got {other:?}"
            ))),
        },
    }
}

impl PluginConfig {
    /// The per-minute limits of [`crate::throttle`].
    pub fn throttle_limits(&self) -> crate::throttle::Limits {
        crate::throttle::Limits {
            writes: self.writes_per_minute,
            image_searches: self.image_searches_per_minute,
            uploads: self.uploads_per_minute,
        }
    }

    /// Start-up checks: usable keys, and no development key in production.
    pub fn check(&self) -> Result<(), kit::keys::KeyError> {
        if self.production {
            kit::keys::refuse_dev_public("auth.jwt_public_key", &self.jwt_public_key)?;
            kit::config::refuse_dev_key("router_signing_key", &self.signing_key())?;
        }
        self.signer()?;
        kit::token::TokenVerifier::new("jwt_public_key", &self.jwt_public_key).map(drop)
    }

    /// The router's signing secret.
    fn signing_key(&self) -> secrecy::SecretString {
        self.signing_key.clone().into()
    }

    /// The key the router signs the internal headers with.
    pub fn signer(&self) -> Result<kit::caller::CallerSigner, kit::keys::KeyError> {
        kit::caller::CallerSigner::new(kit::caller::ROUTER, &self.signing_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real (non-development) token public key.
    const PUBLIC: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn sample(production: serde_json::Value, key: &str) -> Result<PluginConfig, String> {
        let public = if key.starts_with(kit::config::DEV_KEY_PREFIX) {
            kit::keys::DEV_TOKEN_PUBLIC
        } else {
            PUBLIC
        };
        sample_with(production, key, public)
    }

    fn sample_with(
        production: serde_json::Value,
        key: &str,
        public: &str,
    ) -> Result<PluginConfig, String> {
        let config: PluginConfig = serde_json::from_value(serde_json::json!({
            "production": production,
            "jwt_public_key": public,
            "signing_key": key,
            "user_url": "http://127.0.0.1:8101/graphql",
            "upload_url": "http://127.0.0.1:8105",
            "search_url": "http://127.0.0.1:8104",
            "social_url": "http://127.0.0.1:8103",
        }))
        .map_err(|e| e.to_string())?;
        config.check().map_err(|e| e.to_string())?;
        Ok(config)
    }

    #[test]
    fn limits_read_numbers_from_yaml_or_environment_text() {
        let config: PluginConfig = serde_json::from_value(serde_json::json!({
            "jwt_public_key": "k", "signing_key": "k", "user_url": "", "upload_url": "",
            "search_url": "", "social_url": "",
            "max_cost": "500", "writes_per_minute": 7,
        }))
        .unwrap();
        assert_eq!((config.max_cost, config.writes_per_minute), (500, 7));
        assert_eq!(config.image_searches_per_minute, 30, "the default");
    }

    #[test]
    fn debug_output_never_shows_the_keys() {
        let key = "secret-secret-secret-secret-secret-0123456789";
        let config = sample(serde_json::json!(false), key).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains(key), "{shown}");
        assert!(shown.contains("127.0.0.1:8101"), "{shown}");
    }

    #[test]
    fn development_keys_pass_only_outside_production() {
        let dev = "dev-only-0123456789abcdef0123456789abcdef";
        assert!(sample(serde_json::json!(false), dev).is_ok());
        assert!(sample(serde_json::json!("false"), dev).is_ok());
        assert!(sample(serde_json::json!("true"), dev).is_err());
        assert!(sample(serde_json::json!(true), &"k".repeat(40)).is_ok());
        assert!(sample(serde_json::json!(false), "short").is_err());
        assert!(sample(serde_json::json!("maybe"), dev).is_err());
        let real = "r".repeat(40);
        let err = sample_with(serde_json::json!(true), &real, kit::keys::DEV_TOKEN_PUBLIC);
        assert!(err.unwrap_err().contains("CLIPFED_AUTH__JWT_PUBLIC_KEY"));
        let err = sample_with(serde_json::json!(true), dev, PUBLIC).unwrap_err();
        assert!(err.contains("CLIPFED_ROUTER_SIGNING_KEY"), "{err}");
        assert!(sample_with(serde_json::json!(false), &real, "junk").is_err());
    }
}
