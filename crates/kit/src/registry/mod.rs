//! Service registry in etcd (`docs/discovery.md`).
//!
//! Key layout: `<prefix>/<service>/<instance id>` → the JSON of an [`Instance`], attached to a
//! lease the instance keeps alive (prefix `/clipfed/services` by default). An instance that dies
//! stops renewing, and etcd deletes its key when the lease runs out; one that stops gracefully
//! deletes it first.
//!
//! - [`etcd`]: the etcd client (JSON gateway over reqwest).
//! - [`Directory`]: the live instances per service, kept current by a watch (the router's side).
//! - `announce` (server): an instance's own registration: put once ready, kept alive, put
//!   again after a lost lease, deleted before the server drains.

#[cfg(feature = "server")]
pub mod announce;
mod directory;
pub mod etcd;

pub use directory::Directory;
use serde::{Deserialize, Serialize};

/// Where instances are registered when the configuration does not say.
pub const DEFAULT_PREFIX: &str = "/clipfed/services";

/// What an instance announces about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// `user`, `video`, `social`, `search` or `upload`.
    pub service: String,
    /// Unique per process: the port and a random part.
    pub id: String,
    /// Base URL of its HTTP routes (`http://host:port`).
    pub http: String,
    /// Its GraphQL endpoint, for a subgraph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graphql: Option<String>,
    /// The package version it runs.
    pub version: String,
    /// When it started, RFC 3339.
    pub started_at: String,
}

/// The key of `service`'s instance `id`.
pub fn key(prefix: &str, service: &str, id: &str) -> String {
    format!("{}/{service}/{id}", prefix.trim_end_matches('/'))
}

/// The key prefix every instance of every service is under (`<prefix>/`).
pub fn services_prefix(prefix: &str) -> String {
    format!("{}/", prefix.trim_end_matches('/'))
}
