//! The video subgraph end to end: the real service on port 0 against the real MariaDB, Redis,
//! tansu and s3s-fs, driven over GraphQL with the signed caller header the router would send.

mod helpers;

mod covers;
mod deletion;
mod events;
mod explain;
mod feed_cache;
mod lists;
mod ranking;
mod registration;
mod sdl;
mod visits;
