//! Pure domain types and rules of the video subgraph: no sqlx, axum, redis or async-graphql here.
//!
//! [`video::NewVideo`] is a checked registration (title, description, object key, upload id);
//! [`events`] are the messages this service publishes (`video.events`) and consumes (visits).

pub mod events;
pub mod video;
