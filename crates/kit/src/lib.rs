//! `kit`: the shared runtime every clipfed service is built on.
//!
//! The core (no cargo features) is what the router and the CLI need: errors, ids, keys, tokens,
//! the caller header, config sections, rate-limit decisions, S3 URL signing. The server stack is
//! behind features (`telemetry`, `server`, `graphql`, `db`, `kafka`, `cache`; `service` is all of
//! them), so a crate that does not serve or store compiles none of it.
//!
//! Module map (each small, one concern; the feature it needs in brackets):
//! - [`auth`]: credentials of a service's own HTTP routes (router header or user access token).
//! - [`caller`]: the signed `x-clipfed-caller` header: who is calling, as vouched for by the router.
//! - [`keys`]: Ed25519 keys from configured secrets and public keys; the development keys.
//! - [`memo`]: a bounded memo of verified signatures and made ones, each until its expiry.
//! - [`flight`]: single flight: concurrent cache misses of one key share one load.
//! - [`config`]: layered configuration (embedded defaults, optional file, `CLIPFED_<SECTION>__<KEY>` env vars).
//! - [`error`]: the single closed error-code table and its GraphQL / REST renderings.
//! - [`id`]: time-ordered 64-bit ids that need no coordination between instances.
//! - [`telemetry`] (telemetry): logs, traces (OTLP), W3C propagation, Prometheus metrics and the RED middleware.
//! - [`cache`] (cache): the Redis connection (bounded waits, readiness ping).
//! - [`ratelimit`]: fixed-window limits, counted in Redis (cache) across instances or in-process.
//! - [`s3`]: presigned GET/PUT URLs (SigV4) for the S3-compatible object store.
//! - [`rest`]: the west2 REST value formats (times in UTC+8).
//! - [`scalars`] (graphql): GraphQL scalars shared by subgraphs (`Long`).
//! - [`page`]: page arguments (0-based number, size 1-100) as the west2 contract defines them.
//! - [`outbox`] (db + kafka): events written in the caller's transaction and relayed to Kafka in order.
//! - [`db`] (db): MySQL pool, per-service database creation and embedded migrations.
//! - [`kafka`] (kafka): producer with delivery confirmation, consumer-group runner, topic admin, lag gauge.
//! - [`loader`] (graphql): the subgraphs' DataLoaders (no batching wait).
//! - [`graphql_http`] (graphql): an axum handler serving an async-graphql schema per the GraphQL-over-HTTP spec.
//! - [`token`]: user access and refresh JWTs: issued by the user service, verified by the router.
//! - [`server`] (server): serving a router with `/healthz`, `/readyz`, `/metrics` and graceful shutdown.
//! - [`registry`] (registry): the service registry in etcd: an instance's registration (server) and the
//!   live instance lists routers balance over.
//! - [`body_rate`] (server): request bodies that must keep arriving (a minimum rate once read).

pub mod auth;
#[cfg(feature = "server")]
pub mod body_rate;
#[cfg(feature = "cache")]
pub mod cache;
pub mod caller;
pub mod config;
#[cfg(feature = "db")]
pub mod db;
pub mod error;
pub mod flight;
#[cfg(feature = "graphql")]
pub mod graphql_http;
pub mod id;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod keys;
#[cfg(feature = "graphql")]
pub mod loader;
pub mod memo;
#[cfg(all(feature = "db", feature = "kafka"))]
pub mod outbox;
pub mod page;
pub mod ratelimit;
#[cfg(feature = "registry")]
pub mod registry;
pub mod rest;
pub mod s3;
#[cfg(feature = "graphql")]
pub mod scalars;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "telemetry")]
pub mod telemetry;
pub mod token;

pub use error::{AppError, ErrorCode};
