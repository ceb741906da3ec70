//! Upkeep, every `limits.sweep_secs`: uploads complete in S3 but not yet recorded are registered
//! again, expired or not (acknowledged bytes are never dropped for a registration that keeps
//! failing); other sessions past their expiry are removed (unfinished ones aborted in S3, so no multipart
//! upload is left behind; recorded objects stay). A session being written is skipped (its lock).

use std::future::Future;
use std::time::Duration;

use super::Uploads;
use crate::metrics;
use crate::store::sessions::{self, DONE};

/// Sessions handled per sweep and step.
const BATCH: i64 = 100;

impl Uploads {
    /// Runs sweeps until `stop`.
    pub async fn sweep_until(self, every: Duration, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tick.tick() => self.sweep().await,
            }
        }
    }

    /// One sweep.
    pub async fn sweep(&self) {
        if let Err(err) = self.sweep_once().await {
            tracing::warn!(error.message = %err, "upload sweep failed; retried next time");
        }
        if let Ok(active) = sessions::count_active(&self.pool).await {
            metrics::set_active(active, self.streaming());
        }
    }

    async fn sweep_once(&self) -> Result<(), sqlx::Error> {
        for id in sessions::pending_registration(&self.pool, BATCH).await? {
            let Some(guard) = self.try_lock(&id).await? else {
                continue;
            };
            if let Some(s) = sessions::get(&self.pool, &id).await?
                && s.state == sessions::ASSEMBLED
            {
                // The outcome reaches the client on its next PATCH or HEAD.
                let _ = self.register_assembled(s).await;
            }
            guard.release().await;
        }
        for id in sessions::expired(&self.pool, BATCH).await? {
            let Some(guard) = self.try_lock(&id).await? else {
                continue;
            };
            if let Some(s) = sessions::get(&self.pool, &id).await?
                && s.is_expired()
                && s.state != sessions::ASSEMBLED
            {
                let unfinished = s.state != DONE;
                match self.discard(&s).await {
                    Ok(()) if unfinished => {
                        metrics::upload("expired");
                        tracing::info!(upload.id = %s.id, bytes = s.received, "expired upload removed");
                    }
                    Ok(()) => {}
                    Err(err) => {
                        tracing::warn!(upload.id = %s.id, error.message = %err.message, "expired upload not removed");
                    }
                }
            }
            guard.release().await;
        }
        Ok(())
    }
}
