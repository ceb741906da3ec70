//! Integration tests of `kit` against the real local servers (MariaDB, tansu, etcd) and live HTTP servers.
//! One binary for all of them (faster to build); each test creates its own database, topic or port.

mod db;
mod graphql_audit;
mod graphql_http;
mod helpers;
mod kafka;
mod outbox;
mod registry;
mod server;
mod slow;
mod telemetry;
