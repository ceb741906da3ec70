//! [`RateLimiter`]: windows counted in Redis, so every instance of a service shares them.

use sha2::{Digest, Sha256};

use super::{Decision, Limit, decide};
use crate::cache::Redis;

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
