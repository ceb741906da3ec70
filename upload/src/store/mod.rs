//! MySQL access for upload sessions: plain sqlx functions ([`sessions`]) and the per-upload lock
//! ([`lock`]) that keeps two requests from writing one upload at once.

pub mod lock;
pub mod sessions;
