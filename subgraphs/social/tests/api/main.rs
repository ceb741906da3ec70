//! The social subgraph end to end: the real service on port 0 against the real MariaDB and tansu,
//! driven over GraphQL with the signed caller header the router would send. Videos and users are
//! announced the way their services do it: events on the test's own topics.

mod helpers;

mod chat;
mod comments;
mod counters;
mod explain;
mod follows;
mod kafka_outage;
mod likes;
mod sdl;
