//! Refresh-token rotation with reuse detection, logout, and the feed of revoked sessions the
//! router reads so that their access tokens stop working at the edge too.

use super::{Accounts, Session, now};
use crate::error::UserError;
use crate::store::sessions::{self, SessionRow};
use chrono::Utc;
use kit::token::{Kind, TokenError};

/// Most sessions one `revokedSessions` answer lists.
pub const REVOKED_FEED_LIMIT: u32 = 10_000;

impl Accounts {
    /// The live session a refresh token names, with its rotation id. A token that is not the
    /// session's current one has been used before: the session is revoked, so a stolen token and
    /// its thief's successors all stop working.
    async fn current_session(&self, refresh_token: &str) -> Result<(SessionRow, i64), UserError> {
        let claims = self
            .keys
            .verify(refresh_token, Kind::Refresh)
            .map_err(|e| match e {
                TokenError::Expired => UserError::TokenExpired,
                TokenError::Invalid => UserError::Unauthenticated,
            })?;
        let invalid = || UserError::RefreshTokenRevoked;
        let (sid, jti) = (
            claims.sid.parse::<i64>().map_err(|_| invalid())?,
            claims.jti.parse::<i64>().map_err(|_| invalid())?,
        );
        let session = sessions::get(&self.pool, sid).await?.ok_or_else(invalid)?;
        if session.revoked_at.is_some() {
            return Err(invalid());
        }
        if session.current_jti != jti {
            self.revoke_reused(&session).await?;
            return Err(invalid());
        }
        Ok((session, jti))
    }

    async fn revoke_reused(&self, session: &SessionRow) -> Result<(), UserError> {
        sessions::revoke(&self.pool, session.id, now()).await?;
        tracing::warn!(
            user.id = session.user_id,
            "refresh token reused; session revoked"
        );
        Ok(())
    }

    /// Rotates a refresh token (see [`Accounts::current_session`] for reuse).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, UserError> {
        let (session, jti) = self.current_session(refresh_token).await?;
        let invalid = || UserError::RefreshTokenRevoked;
        let new_jti = kit::id::next_id();
        let expires = now() + chrono::Duration::seconds(self.keys.refresh_ttl_secs);
        if !sessions::rotate(&self.pool, session.id, jti, new_jti, expires).await? {
            self.revoke_reused(&session).await?;
            return Err(invalid());
        }
        let user = self.user(session.user_id).await.map_err(|_| invalid())?;
        Ok(Session {
            tokens: self
                .keys
                .issue(user.id, session.id, new_jti, Utc::now().timestamp()),
            user,
        })
    }

    /// A new access token from a live, current refresh token, which stays valid (the router's
    /// double-token renewal: clients keep sending the refresh token they hold).
    pub async fn renew_access(&self, refresh_token: &str) -> Result<String, UserError> {
        let (session, _) = self.current_session(refresh_token).await?;
        self.user(session.user_id)
            .await
            .map_err(|_| UserError::RefreshTokenRevoked)?;
        Ok(self
            .keys
            .issue_access(session.user_id, session.id, Utc::now().timestamp()))
    }

    /// Sessions revoked at or after `since_ms` (Unix ms), at most [`REVOKED_FEED_LIMIT`].
    pub async fn revoked_since(&self, since_ms: i64) -> Result<Vec<i64>, UserError> {
        let since = chrono::DateTime::from_timestamp_millis(since_ms)
            .ok_or_else(|| UserError::Invalid("sinceMs is out of range"))?
            .naive_utc();
        sessions::revoked_since(&self.pool, since, REVOKED_FEED_LIMIT)
            .await
            .map_err(UserError::from)
    }

    /// Revokes the session of a refresh token (idempotent; an expired token still logs out).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), UserError> {
        let unauthenticated = || UserError::Unauthenticated;
        let claims = self
            .keys
            .verify(refresh_token, Kind::Refresh)
            .map_err(|_| unauthenticated())?;
        let sid = claims.sid.parse::<i64>().map_err(|_| unauthenticated())?;
        sessions::revoke(&self.pool, sid, now())
            .await
            .map_err(UserError::from)
    }
}
