//! The video service's ways out to other systems: [`ranking`] (the Redis sorted set behind
//! `popular`, and its row cache), [`feed_cache`] (feed pages and totals cached in Redis) and
//! [`covers`] (ffmpeg cover extraction, presigned S3 URLs).

pub mod covers;
pub mod feed_cache;
pub mod ranking;
