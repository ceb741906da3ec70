//! Sessions revoked at the user service (logout, password change, MFA rebind, a reused refresh
//! token), refused at the edge within about a second.
//!
//! Access tokens are verified locally, so without this a revoked session's access token would keep
//! working until it expires (up to an hour). Every access token names its session (`sid`). The
//! router polls the user subgraph's router-only `revokedSessions(sinceMs)` once a second and keeps
//! the ids in memory for [`KEEP`], longer than any access token lives; a request whose token names
//! a revoked session is unauthenticated, and a chat WebSocket of one is closed. One small query
//! per second per router instance, whatever the traffic, and no lookup on the request path.
//!
//! Fails open: while the user subgraph cannot be reached, tokens are checked against what is
//! known (a warning is logged at each failed poll); the first request waits up to
//! [`FIRST_LOAD`] for the first answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::OnceCell;

use crate::auth::UserLine;

/// Time between polls.
pub const POLL: Duration = Duration::from_secs(1);
/// How long a revoked id is remembered (and how far back the first poll reads): twice the access
/// token's default life.
pub const KEEP: Duration = Duration::from_secs(2 * 3600);
/// Each poll reads again this far behind the previous one, for revocations whose transaction
/// committed after a poll but carries an earlier time.
const OVERLAP: Duration = Duration::from_secs(10);
/// Longest wait of the first request for the first poll.
const FIRST_LOAD: Duration = Duration::from_secs(3);

const QUERY: &str = "query($since: Long!) { revokedSessions(sinceMs: $since) }";

/// The revoked sessions the edge knows of.
pub struct Revoked {
    ids: Mutex<HashMap<i64, Instant>>,
    started: OnceCell<()>,
    user: UserLine,
}

impl Revoked {
    pub fn new(user: UserLine) -> Arc<Self> {
        Arc::new(Self {
            ids: Mutex::new(HashMap::new()),
            started: OnceCell::new(),
            user,
        })
    }

    /// Whether `sid` was revoked. The first call loads the feed and starts the poller.
    pub async fn contains(self: &Arc<Self>, sid: i64) -> bool {
        self.started
            .get_or_init(|| async {
                let since = unix_ms(SystemTime::now() - KEEP);
                if tokio::time::timeout(FIRST_LOAD, self.poll(since))
                    .await
                    .is_err()
                {
                    tracing::warn!("revoked sessions: the first load timed out");
                }
                tokio::spawn(Arc::clone(self).run());
            })
            .await;
        self.knows(sid)
    }

    /// Whether `sid` is among the revoked ids known now (no loading).
    pub fn knows(&self, sid: i64) -> bool {
        self.ids
            .lock()
            .expect("the revoked set is never poisoned")
            .contains_key(&sid)
    }

    async fn run(self: Arc<Self>) {
        let mut since = unix_ms(SystemTime::now() - OVERLAP);
        loop {
            tokio::time::sleep(POLL).await;
            let started = SystemTime::now();
            if self.poll(since).await {
                since = unix_ms(started - OVERLAP);
            }
        }
    }

    /// Reads the sessions revoked since `since_ms`; false when the user subgraph did not answer.
    async fn poll(&self, since_ms: i64) -> bool {
        match self.fetch(since_ms).await {
            Ok(ids) => {
                self.remember(ids);
                true
            }
            Err(err) => {
                tracing::warn!(error.message = %err, "revoked sessions: poll failed");
                false
            }
        }
    }

    fn remember(&self, ids: Vec<i64>) {
        self.remember_at(ids, Instant::now());
    }

    fn remember_at(&self, ids: Vec<i64>, now: Instant) {
        let mut known = self.ids.lock().expect("the revoked set is never poisoned");
        known.retain(|_, seen| now.duration_since(*seen) < KEEP);
        for id in ids {
            known.entry(id).or_insert(now);
        }
    }

    async fn fetch(&self, since_ms: i64) -> Result<Vec<i64>, String> {
        let answer = self
            .user
            .ask(QUERY, serde_json::json!({"since": since_ms}))
            .await?;
        let ids = answer["data"]["revokedSessions"]
            .as_array()
            .ok_or_else(|| format!("unexpected answer: {answer}"))?;
        Ok(ids
            .iter()
            .filter_map(|id| id.as_str()?.parse().ok())
            .collect())
    }
}

fn unix_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_ids_are_known_and_forgotten_after_keep() {
        let key = testkit::signed::dev_router();
        let revoked = Revoked::new(UserLine::new(String::new(), key, reqwest::Client::new()));
        revoked.remember(vec![7, 8]);
        assert!(revoked.knows(7) && revoked.knows(8) && !revoked.knows(9));
        let later = Instant::now() + KEEP / 2;
        revoked.remember_at(vec![9], later);
        revoked.remember_at(vec![], later + KEEP / 2 + Duration::from_secs(1));
        assert!(!revoked.knows(7), "ids older than KEEP are dropped");
        assert!(revoked.knows(9), "younger ones stay");
    }
}
