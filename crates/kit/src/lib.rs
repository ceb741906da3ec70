//! `kit`: the shared runtime every clipfed service is built on.
//!
//! Module map (each small, one concern):
//! - [`auth`]: credentials of a service's own HTTP routes (router header or user access token).
//! - [`caller`]: the signed `x-clipfed-caller` header: who is calling, as vouched for by the router.
//! - [`keys`]: Ed25519 keys from configured secrets and public keys; the development keys.
//! - [`config`]: layered configuration (embedded defaults, optional file, `CLIPFED_<SECTION>__<KEY>` env vars).
//! - [`error`]: the single closed error-code table and its GraphQL / REST renderings.
//! - [`id`]: time-ordered 64-bit ids that need no coordination between instances.
//! - [`telemetry`]: logs, traces (OTLP), W3C propagation, Prometheus metrics and the RED middleware.
//! - [`cache`]: the Redis connection (bounded waits, readiness ping).
//! - [`ratelimit`]: fixed-window limits counted in Redis, shared by all instances.
//! - [`s3`]: presigned GET/PUT URLs (SigV4) for the S3-compatible object store.
//! - [`rest`]: the west2 REST value formats (times in UTC+8).
//! - [`scalars`]: GraphQL scalars shared by subgraphs (`Long`).
//! - [`page`]: page arguments (0-based number, size 1-100) as the west2 contract defines them.
//! - [`outbox`]: events written in the caller's transaction and relayed to Kafka in order.
//! - [`db`]: MySQL pool, per-service database creation and embedded migrations.
//! - [`kafka`]: producer with delivery confirmation, consumer-group runner, topic admin, lag gauge.
//! - [`graphql_http`]: an axum handler serving an async-graphql schema per the GraphQL-over-HTTP spec.
//! - [`token`]: user access and refresh JWTs: issued by the user service, verified by the router.
//! - [`server`]: serving a router with `/healthz`, `/readyz`, `/metrics` and graceful shutdown.
//! - [`body_rate`]: request bodies that must keep arriving (a minimum rate once read).

pub mod auth;
pub mod body_rate;
pub mod cache;
pub mod caller;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql_http;
pub mod id;
pub mod kafka;
pub mod keys;
pub mod outbox;
pub mod page;
pub mod ratelimit;
pub mod rest;
pub mod s3;
pub mod scalars;
pub mod server;
pub mod telemetry;
pub mod token;

pub use error::{AppError, ErrorCode};
