//! Layered configuration: embedded defaults, then an optional file, then environment variables.
//!
//! Environment variables are `CLIPFED_<SECTION>__<KEY>` (double underscore between path segments, any
//! case): `CLIPFED_DB__MAX_CONNECTIONS=20` sets `db.max_connections`. Variables without `__` (such as
//! `CLIPFED_CONFIG`, the file path) are not configuration keys. Every config struct denies unknown
//! fields, so a typo fails start-up with the offending key instead of being silently ignored. Secrets
//! are [`secrecy::SecretString`]: their `Debug` output is redacted.
//!
//! The section types shared by all services live here too; each service composes its own top-level
//! struct from them. They are plain data: the runtime objects built from them (server limits,
//! verifiers, signers) are built by the modules that own those objects.

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::keys::KeyError;

/// Prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "CLIPFED_";
/// Environment variable naming the optional config file.
pub const FILE_ENV: &str = "CLIPFED_CONFIG";

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

/// Loads `T` from `defaults` (TOML text embedded in the binary), the file named by `CLIPFED_CONFIG` if
/// set, and the process environment.
pub fn load<T: DeserializeOwned>(defaults: &str) -> Result<T, ConfigError> {
    let file = std::env::var_os(FILE_ENV);
    // `vars()` would panic on a non-UTF-8 variable anywhere in the environment; such a variable
    // cannot be one of ours, so it is skipped.
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    load_from(defaults, file.as_deref().map(Path::new), env)
}

/// Like [`load`] with an explicit file and environment (tests pass their own).
pub fn load_from<T: DeserializeOwned>(
    defaults: &str,
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError> {
    let mut figment = Figment::from(Toml::string(defaults));
    if let Some(path) = file {
        // A named file must exist: a typo in the path should not fall back to defaults.
        if !path.is_file() {
            return Err(ConfigError(Box::new(figment::Error::from(format!(
                "config file {} does not exist",
                path.display()
            )))));
        }
        figment = figment.merge(Toml::file(path));
    }
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if !rest.contains("__") {
            continue;
        }
        let key = rest
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        let value: figment::value::Value = raw.parse().unwrap_or_else(|_| raw.clone().into());
        figment = figment.merge((key, value));
    }
    figment.extract().map_err(|e| ConfigError(Box::new(e)))
}

/// Where the local servers are (`clipfed test` and `clipfed up` start them on 127.0.0.1), and how
/// to name what one run owns on them: each service's `config::local` builds from it the
/// configuration its tests, the upload tests and the router's end-to-end stack run on.
#[derive(Clone)]
pub struct LocalServers {
    pub mysql_url: String,
    pub redis_url: String,
    pub kafka_brokers: String,
    pub s3_endpoint: String,
    pub milvus_uri: String,
    /// The image model file (search).
    pub embed_model: String,
    /// Starts every database name (`clipfed_test`, `clipfed_e2e`).
    pub prefix: &'static str,
    /// A name no other run uses, starting with the one given.
    pub unique: fn(&str) -> String,
}

impl LocalServers {
    /// A database name of its own for `service`.
    pub fn database(&self, service: &str) -> String {
        (self.unique)(&format!("{}_{service}", self.prefix))
    }

    /// Points a service's `[db]` at the local MySQL, on a database of its own for `service`.
    pub fn own_database(&self, db: &mut DbConfig, service: &str) {
        db.url = SecretString::from(self.mysql_url.clone());
        db.database = self.database(service);
    }

    /// A topic, group or collection name of its own.
    pub fn name(&self, what: &str) -> String {
        (self.unique)(&format!("test_{what}"))
    }
}

/// Marker of the development keys in every service's defaults.
pub const DEV_KEY_PREFIX: &str = "dev-only-";

/// Refuses a development secret in production: `name` is its config path (`auth.jwt_key`).
pub fn refuse_dev_key(name: &str, key: &SecretString) -> Result<(), KeyError> {
    use secrecy::ExposeSecret;
    if key.expose_secret().starts_with(DEV_KEY_PREFIX) {
        let var = name.replace('.', "__").to_uppercase();
        return Err(KeyError(format!(
            "{name} is the development key; set CLIPFED_{var}"
        )));
    }
    Ok(())
}

/// Where a service listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// `host:port`; port 0 picks a free one.
    pub listen: String,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Seconds to let in-flight requests finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
    /// A request body must bring at least this many bytes in every `read_window_secs` once read.
    #[serde(default = "default_min_read_bytes")]
    pub min_read_bytes: u64,
    #[serde(default = "default_read_window_secs")]
    pub read_window_secs: u64,
    /// Seconds a client may take to send a request head, or to start the next request on an idle
    /// keep-alive connection.
    #[serde(default = "default_header_timeout_secs")]
    pub header_timeout_secs: u64,
    /// Requests worked on at once; more are refused at once with 503 (`kit::server::app`).
    #[serde(default = "max_in_flight_default")]
    pub max_in_flight: usize,
    /// How the service announces itself in the service registry (`[http.registry]`).
    #[serde(default)]
    pub registry: RegistryConfig,
}

/// Registration in etcd (`docs/discovery.md`). Off until `endpoints` names etcd: `clipfed up`
/// and the Helm chart set `CLIPFED_HTTP__REGISTRY__ENDPOINTS`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryConfig {
    /// etcd client URLs, comma-separated; empty: the instance does not register.
    pub endpoints: String,
    /// Key prefix: instances are `<prefix>/<service>/<id>`.
    pub prefix: String,
    /// Lease time to live; the lease is renewed every third of it.
    pub ttl_secs: u64,
    /// The host routers reach this instance at; empty: the listening address (loopback when it
    /// listens on every interface). In Kubernetes, the pod IP.
    pub advertise_host: String,
    /// After deleting its key on shutdown, how long the instance keeps accepting before it
    /// drains, so routers that watch the registry have stopped choosing it.
    pub withdraw_delay_ms: u64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            endpoints: String::new(),
            prefix: "/clipfed/services".to_owned(),
            ttl_secs: 10,
            advertise_host: String::new(),
            withdraw_delay_ms: 1000,
        }
    }
}

/// Requests a service works on at once when its `[http]` section does not say.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

fn max_in_flight_default() -> usize {
    DEFAULT_MAX_IN_FLIGHT
}

fn default_header_timeout_secs() -> u64 {
    30
}

fn default_min_read_bytes() -> u64 {
    1024
}

fn default_read_window_secs() -> u64 {
    10
}

/// A service's MySQL database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbConfig {
    /// Server URL without a database name, e.g. `mysql://root@127.0.0.1:3306`.
    pub url: SecretString,
    /// The service's own database, created on start-up when missing.
    pub database: String,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

/// Kafka connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Comma-separated bootstrap servers.
    pub brokers: String,
    /// Seconds a send may wait for delivery confirmation.
    pub delivery_timeout_secs: u64,
}

/// A consumer group's section (`[counters]`, `[visits]`, `[indexer]`, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    pub group: String,
    /// Largest batch handed to the handler.
    pub max_batch: usize,
    /// Milliseconds a batch may wait to fill once it has its first record.
    pub max_wait_ms: u64,
    /// Hours applied event ids are kept, for consumers that deduplicate by event id.
    #[serde(default)]
    pub dedupe_retention_hours: u64,
}

/// Redis connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: SecretString,
    /// Longest wait, in milliseconds, for a connection or a reply before the call fails.
    pub timeout_ms: u64,
}

/// Log format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for development.
    Pretty,
    /// One JSON object per line, for everything else.
    Json,
}

/// Logs and traces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// `tracing_subscriber::EnvFilter` directives, e.g. `info,sqlx=warn`.
    pub log_filter: String,
    /// OTLP/HTTP traces endpoint base, e.g. `http://127.0.0.1:4318`; empty disables export.
    pub otlp_endpoint: String,
    /// Fraction of root traces sampled (0.0..=1.0).
    pub sample_ratio: f64,
}

/// The `[auth]` section of a service that signs nothing: production mode and the public keys of
/// the processes whose `x-clipfed-caller` headers it accepts (`[auth.callers]`, signer name to
/// written public key; [`crate::keys`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerAuth {
    /// Refuse development keys.
    pub production: bool,
    pub callers: BTreeMap<String, String>,
}

impl CallerAuth {
    /// In production, refuses the development public keys.
    pub fn check(&self) -> Result<(), KeyError> {
        if self.production {
            refuse_dev_callers(&self.callers)?;
        }
        Ok(())
    }
}

/// In production, refuses every development public key in `[auth.callers]`.
pub fn refuse_dev_callers(callers: &BTreeMap<String, String>) -> Result<(), KeyError> {
    for (name, key) in callers {
        crate::keys::refuse_dev_public(&format!("auth.callers.{name}"), key)?;
    }
    Ok(())
}

/// `[auth]` of a service that verifies user access tokens itself (its HTTP routes) as well as
/// caller headers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenAuth {
    /// Refuse development keys.
    pub production: bool,
    /// The public key of the user service's `auth.jwt_key`.
    pub jwt_public_key: String,
    pub callers: BTreeMap<String, String>,
    /// The secret of the key this service signs its own calls to other services with (only a
    /// service that makes such calls has one: upload).
    #[serde(default)]
    pub signing_key: Option<SecretString>,
}

impl TokenAuth {
    /// In production, refuses the development public keys.
    pub fn check(&self) -> Result<(), KeyError> {
        if self.production {
            crate::keys::refuse_dev_public("auth.jwt_public_key", &self.jwt_public_key)?;
            refuse_dev_callers(&self.callers)?;
            if let Some(key) = &self.signing_key {
                refuse_dev_key("auth.signing_key", key)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        http: HttpConfig,
        db: DbConfig,
    }

    const DEFAULTS: &str = r#"
        [http]
        listen = "127.0.0.1:0"
        body_limit = 1024
        shutdown_grace_secs = 5
        [db]
        url = "mysql://root@127.0.0.1:3306"
        database = "clipfed_sample"
        max_connections = 5
        acquire_timeout_secs = 3
    "#;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_alone_load() {
        let cfg: Sample = load_from(DEFAULTS, None, env(&[])).unwrap();
        assert_eq!(cfg.http.listen, "127.0.0.1:0");
        assert_eq!(cfg.db.max_connections, 5);
    }

    #[test]
    fn file_overrides_defaults_and_env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[db]\nmax_connections = 9\ndatabase = \"from_file\"\n",
        )
        .unwrap();
        let vars = env(&[
            ("CLIPFED_DB__MAX_CONNECTIONS", "20"),
            ("OTHER_DB__MAX_CONNECTIONS", "99"),
        ]);
        let cfg: Sample = load_from(DEFAULTS, Some(&path), vars).unwrap();
        assert_eq!(cfg.db.max_connections, 20, "env wins over file");
        assert_eq!(cfg.db.database, "from_file", "file wins over defaults");
        assert_eq!(cfg.http.body_limit, 1024, "untouched keys keep defaults");
    }

    #[test]
    fn env_keys_are_case_insensitive_and_plain_vars_are_ignored() {
        let vars = env(&[
            ("CLIPFED_HTTP__LISTEN", "0.0.0.0:8080"),
            ("CLIPFED_CONFIG", "/nowhere.toml"),
        ]);
        let cfg: Sample = load_from(DEFAULTS, None, vars).unwrap();
        assert_eq!(cfg.http.listen, "0.0.0.0:8080");
    }

    #[test]
    fn unknown_key_in_file_is_rejected_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[db]\nmax_conections = 9\n").unwrap();
        let err = load_from::<Sample>(DEFAULTS, Some(&path), env(&[])).unwrap_err();
        assert!(err.to_string().contains("max_conections"), "{err}");
    }

    #[test]
    fn unknown_key_in_env_is_rejected() {
        let err =
            load_from::<Sample>(DEFAULTS, None, env(&[("CLIPFED_DB__PASWORD", "x")])).unwrap_err();
        assert!(err.to_string().contains("pasword"), "{err}");
    }

    #[test]
    fn wrong_type_is_rejected() {
        let err = load_from::<Sample>(DEFAULTS, None, env(&[("CLIPFED_HTTP__BODY_LIMIT", "lots")]))
            .unwrap_err();
        assert!(err.to_string().contains("body_limit"), "{err}");
    }

    #[test]
    fn missing_named_file_is_an_error() {
        let err = load_from::<Sample>(DEFAULTS, Some(Path::new("/no/such/clipfed.toml")), env(&[]))
            .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let vars = env(&[("CLIPFED_DB__URL", "mysql://root:s3cr3t@db:3306")]);
        let cfg: Sample = load_from(DEFAULTS, None, vars).unwrap();
        assert_eq!(cfg.db.url.expose_secret(), "mysql://root:s3cr3t@db:3306");
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
    }
}
