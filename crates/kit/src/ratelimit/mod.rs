//! Fixed-window rate limits: [`RateLimiter`] kept in Redis, shared by every instance of a
//! service, and [`LocalLimiter`] kept in process memory, for limits where one count per instance
//! is enough (the router's per-user write limits, chat sends): no round trip on the request path.
//!
//! A limit is "at most `max` hits per `window`" for one subject in one scope (say, login attempts
//! for one username). Each hit is one atomic script call: increment the window's counter, start its
//! expiry on the first hit, report the count and the time left. Subjects are hashed into the key, so
//! any string (a 10 KB username, an IPv6 address) makes a short, safe key and never appears in Redis.

use std::time::{Duration, Instant};

#[cfg(feature = "cache")]
mod shared;
#[cfg(feature = "cache")]
pub use shared::RateLimiter;

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub max: u32,
    pub window_secs: u64,
}

/// What a hit was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Under the limit; `remaining` more hits fit in this window.
    Allowed { remaining: u32 },
    /// Over the limit until the window ends.
    Limited { retry_after: Duration },
}

/// Each `(scope, subject)`'s window start and hits.
type Windows = std::collections::HashMap<(&'static str, String), (Instant, u64)>;

/// Fixed windows counted in this process, per `(scope, subject)`.
#[derive(Default)]
pub struct LocalLimiter {
    windows: std::sync::Mutex<Windows>,
}

/// Entries kept before expired windows are swept out.
const LOCAL_SWEEP_AT: usize = 10_000;

impl LocalLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one hit of `subject` in `scope` and says whether it is within `limit`.
    pub fn hit(&self, scope: &'static str, subject: &str, limit: Limit) -> Decision {
        self.hit_at(scope, subject, limit, Instant::now())
    }

    fn hit_at(&self, scope: &'static str, subject: &str, limit: Limit, now: Instant) -> Decision {
        let window = Duration::from_secs(limit.window_secs.max(1));
        let mut windows = self.windows.lock().expect("the limiter is never poisoned");
        if windows.len() >= LOCAL_SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows
            .entry((scope, subject.to_owned()))
            .or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let left = window.saturating_sub(now.duration_since(entry.0));
        decide(entry.1, left.as_millis() as i64, limit)
    }
}

/// The answer to a limited hit: `RATE_LIMITED` saying when to retry.
pub fn refusal(what: &str, decision: Decision) -> Result<(), crate::AppError> {
    match decision {
        Decision::Allowed { .. } => Ok(()),
        Decision::Limited { retry_after } => Err(crate::AppError::with_message(
            crate::ErrorCode::RateLimited,
            format!("too many {what}; retry in {} s", retry_after.as_secs()),
        )),
    }
}

fn decide(count: u64, ttl_ms: i64, limit: Limit) -> Decision {
    if count <= u64::from(limit.max) {
        Decision::Allowed {
            remaining: limit.max - count as u32,
        }
    } else {
        // Round up so "retry after" is never too early.
        let secs = (ttl_ms.max(0) as u64).div_ceil(1000).max(1);
        Decision::Limited {
            retry_after: Duration::from_secs(secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        max: 3,
        window_secs: 60,
    };

    #[test]
    fn hits_up_to_the_maximum_are_allowed_with_what_remains() {
        assert_eq!(decide(1, 60_000, LIMIT), Decision::Allowed { remaining: 2 });
        assert_eq!(decide(3, 60_000, LIMIT), Decision::Allowed { remaining: 0 });
    }

    #[test]
    fn local_windows_count_per_subject_and_start_over_when_they_end() {
        let limiter = LocalLimiter::new();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(matches!(
                limiter.hit_at("likes", "u1", LIMIT, t0),
                Decision::Allowed { .. }
            ));
        }
        assert!(matches!(
            limiter.hit_at("likes", "u1", LIMIT, t0 + Duration::from_secs(59)),
            Decision::Limited { retry_after } if retry_after == Duration::from_secs(1)
        ));
        assert!(matches!(
            limiter.hit_at("likes", "u2", LIMIT, t0),
            Decision::Allowed { remaining: 2 }
        ));
        assert!(matches!(
            limiter.hit_at("comments", "u1", LIMIT, t0),
            Decision::Allowed { remaining: 2 }
        ));
        assert_eq!(
            limiter.hit_at("likes", "u1", LIMIT, t0 + Duration::from_secs(60)),
            Decision::Allowed { remaining: 2 },
            "a new window"
        );
    }

    #[test]
    fn hits_over_the_maximum_wait_for_the_window_rounded_up() {
        assert_eq!(
            decide(4, 1_001, LIMIT),
            Decision::Limited {
                retry_after: Duration::from_secs(2)
            }
        );
        assert_eq!(
            decide(9, 0, LIMIT),
            Decision::Limited {
                retry_after: Duration::from_secs(1)
            }
        );
    }
}
