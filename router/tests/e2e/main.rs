//! End-to-end: the west2 REST contract and GraphQL through the real router binary in front of the
//! real services (see `stack.rs`).

mod accounts;
mod chat;
mod discovery;
mod files;
mod graphql;
mod openapi;
mod security;
mod social;
mod stack;
mod videos;
