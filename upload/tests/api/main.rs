//! Upload service tests against real MariaDB, s3s-fs, tansu and Redis, with the real video and user
//! subgraphs recording finished uploads.

mod cli;
mod clients;
mod concat;
mod crash;
mod errors;
mod forms;
mod helpers;
mod lifecycle;
mod memory;
mod slow;
mod tus;
