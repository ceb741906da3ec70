//! The video service's ways out to other systems: [`ranking`] (the Redis sorted set behind
//! `popular`, and its row cache) and [`covers`] (ffmpeg cover extraction, presigned S3 URLs).

pub mod covers;
pub mod ranking;
