//! Fixed-window rate limits kept in Redis, shared by every instance of a service.
//!
//! A limit is "at most `max` hits per `window`" for one subject in one scope (say, login attempts
//! for one username). Each hit is one atomic script call: increment the window's counter, start its
//! expiry on the first hit, report the count and the time left. Subjects are hashed into the key, so
//! any string (a 10 KB username, an IPv6 address) makes a short, safe key and never appears in Redis.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::cache::Redis;

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

/// Counts hits in Redis under `<namespace>:rl:<scope>:<hash of subject>`.
#[derive(Clone)]
pub struct RateLimiter {
    redis: Redis,
    namespace: String,
}

const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

impl RateLimiter {
    /// A limiter whose keys start with `namespace` (the service name).
    pub fn new(redis: Redis, namespace: impl Into<String>) -> Self {
        Self {
            redis,
            namespace: namespace.into(),
        }
    }

    fn key(&self, scope: &str, subject: &str) -> String {
        let digest = Sha256::digest(subject.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:rl:{scope}:{hex}", self.namespace)
    }

    /// Records one hit of `subject` and says whether it is within `limit`.
    pub async fn hit(
        &self,
        scope: &str,
        subject: &str,
        limit: Limit,
    ) -> Result<Decision, redis::RedisError> {
        let window_ms = limit.window_secs.max(1) * 1000;
        let mut conn = self.redis.clone();
        let (count, ttl_ms): (u64, i64) = redis::Script::new(HIT)
            .key(self.key(scope, subject))
            .arg(window_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok(decide(count, ttl_ms, limit))
    }

    /// Forgets the hits of `subject` (a successful login clears its failures).
    pub async fn reset(&self, scope: &str, subject: &str) -> Result<(), redis::RedisError> {
        let mut conn = self.redis.clone();
        redis::cmd("DEL")
            .arg(self.key(scope, subject))
            .query_async::<()>(&mut conn)
            .await
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
