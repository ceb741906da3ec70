//! The plugin's own section of `router.config.yaml` (`plugins.clipfed.config`). Every value can
//! come from the environment through Hive Router's `from_env` placeholders, with the same variable
//! names the services read (`CLIPFED_AUTH__JWT_KEY`, `CLIPFED_AUTH__CALLER_KEY`).

use serde::{Deserialize, Deserializer};

/// Where the services behind the router listen, and the keys shared with them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// Refuse development keys.
    #[serde(default, deserialize_with = "flag")]
    pub production: bool,
    /// The user service's token key (verifies access tokens at the edge).
    pub jwt_key: String,
    /// The key that signs `x-clipfed-caller` and `x-clipfed-client` for the services.
    pub caller_key: String,
    /// The user subgraph's GraphQL endpoint (double-token renewal).
    pub user_url: String,
    /// The upload service's base URL (tus and the west2 file forms).
    pub upload_url: String,
    /// The search service's base URL (`POST /user/image/search`).
    pub search_url: String,
    /// The social service's base URL (`/ws`).
    pub social_url: String,
    /// Largest REST form body read at the edge (the file routes stream and have their own limits).
    #[serde(default = "default_form_limit")]
    pub form_limit_bytes: usize,
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
    /// Start-up checks: key lengths, and no development key in production.
    pub fn check(&self) -> Result<(), String> {
        let auth = kit::config::TokenAuth {
            production: self.production,
            jwt_key: self.jwt_key.clone().into(),
            caller_key: self.caller_key.clone().into(),
        };
        auth.check()?;
        auth.credentials().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(production: serde_json::Value, key: &str) -> Result<PluginConfig, String> {
        let config: PluginConfig = serde_json::from_value(serde_json::json!({
            "production": production,
            "jwt_key": key,
            "caller_key": key,
            "user_url": "http://127.0.0.1:8101/graphql",
            "upload_url": "http://127.0.0.1:8105",
            "search_url": "http://127.0.0.1:8104",
            "social_url": "http://127.0.0.1:8103",
        }))
        .map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
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
    }
}
