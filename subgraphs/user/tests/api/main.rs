//! The user subgraph end to end: the real service on port 0 against the real MariaDB, driven over
//! GraphQL with the signed caller header the router would send.

mod helpers;

mod accounts;
mod avatars;
mod entities;
mod events;
mod limits;
mod logs;
mod mfa;
mod tokens;
