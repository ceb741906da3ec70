//! clipfed's edge: a custom build of Hive Router (query planning and execution are Hive Router's)
//! with one plugin, [`plugin::ClipfedPlugin`]: double-token auth, the west2 REST facade and the
//! file-route and chat WebSocket pass-through, plus [`codes`], which carries clipfed's numeric error codes across
//! Hive Router, [`limits`], the cost and once-per-request limits checked before planning, and
//! [`throttle`], the per-client rate limits; [`revoked`] keeps revoked sessions out at the edge;
//! [`respond`] holds the responses the plugin writes itself; [`dedupe`] gives each subgraph request
//! one byte form so that identical ones share a call; [`discovery`] balances every call to a
//! service over its registered instances, with a circuit breaker per instance. `router.config.yaml` configures both.
//! Imports run one way: `plugin` → `rest` / `proxy` / `ws` → `respond` / `auth`; none back.

pub mod auth;
pub mod client;
pub mod codes;
pub mod config;
pub mod dedupe;
pub mod discovery;
pub mod introspection;
pub mod limits;
pub mod metrics;
pub mod plugin;
pub mod proxy;
pub mod respond;
pub mod rest;
pub mod revoked;
pub mod throttle;
pub mod ws;

pub use plugin::ClipfedPlugin;
