//! Chat pushes across social instances. A push goes to the connections of this instance
//! ([`super::hub`]) and is published on a Redis channel (`chat_relay.channel`) with this
//! instance's random origin; every instance follows the channel and hands pushes from other
//! origins to its own hub. So a receiver connected to any instance gets the push. Like the local
//! push it is at most once: a push lost with Redis is still in the history.

use std::sync::Arc;

use kit::cache::Redis;
use serde::{Deserialize, Serialize};

use super::hub::{Hub, Push};

/// One push on the channel.
#[derive(Serialize, Deserialize)]
struct Relayed {
    origin: u64,
    users: Vec<i64>,
    push: String,
}

pub struct Relay {
    redis: Redis,
    channel: String,
    origin: u64,
}

impl Relay {
    pub fn new(redis: Redis, channel: String) -> Self {
        Self {
            redis,
            channel,
            origin: rand::random(),
        }
    }

    /// Publishes `push` for `users`' connections on the other instances, in the background: a
    /// send never waits on Redis.
    pub fn publish(&self, users: &[i64], push: &Push) {
        let relayed = Relayed {
            origin: self.origin,
            users: users.to_vec(),
            push: push.to_string(),
        };
        let Ok(payload) = serde_json::to_vec(&relayed) else {
            return;
        };
        let (redis, channel) = (self.redis.clone(), self.channel.clone());
        tokio::spawn(async move {
            if let Err(err) = kit::cache::publish(&redis, &channel, &payload).await {
                tracing::warn!(error.message = %err, "chat push not relayed to the other instances");
            }
        });
    }

    /// Hands the pushes other instances publish to `hub` until `stop`.
    pub async fn receive(
        self: Arc<Self>,
        config: kit::config::RedisConfig,
        hub: Arc<Hub>,
        stop: impl Future<Output = ()>,
    ) {
        let on_message = |payload: &[u8]| match serde_json::from_slice::<Relayed>(payload) {
            Ok(m) if m.origin != self.origin => hub.push(&m.users, &Push::from(m.push), u64::MAX),
            Ok(_) => {}
            Err(err) => tracing::warn!(error.message = %err, "not a relayed chat push; ignored"),
        };
        kit::cache::follow_channel(&config, &self.channel, on_message, stop).await;
    }
}
