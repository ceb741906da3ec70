//! Refresh-token rotation with reuse detection, and logout.

use chrono::Utc;
use kit::{AppError, ErrorCode};

use super::{Accounts, Session, db, now};
use crate::store::sessions;
use kit::token::{Kind, TokenError};

impl Accounts {
    /// Rotates a refresh token. A token that is not the session's current one has been used before:
    /// the session is revoked, so a stolen token and its thief's successors all stop working.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, AppError> {
        let claims = self
            .keys
            .verify(refresh_token, Kind::Refresh)
            .map_err(|e| match e {
                TokenError::Expired => AppError::new(ErrorCode::TokenExpired),
                TokenError::Invalid => AppError::new(ErrorCode::Unauthenticated),
            })?;
        let invalid = || AppError::new(ErrorCode::RefreshTokenRevoked);
        let (sid, jti) = (
            claims.sid.parse::<i64>().map_err(|_| invalid())?,
            claims.jti.parse::<i64>().map_err(|_| invalid())?,
        );
        let session = sessions::get(&self.pool, sid)
            .await
            .map_err(db)?
            .ok_or_else(invalid)?;
        if session.revoked_at.is_some() {
            return Err(invalid());
        }
        let new_jti = kit::id::next_id();
        let expires = now() + chrono::Duration::seconds(self.keys.refresh_ttl_secs);
        if session.current_jti != jti
            || !sessions::rotate(&self.pool, sid, jti, new_jti, expires)
                .await
                .map_err(db)?
        {
            sessions::revoke(&self.pool, sid, now()).await.map_err(db)?;
            tracing::warn!(
                user.id = session.user_id,
                "refresh token reused; session revoked"
            );
            return Err(invalid());
        }
        let user = self.user(session.user_id).await.map_err(|_| invalid())?;
        Ok(Session {
            tokens: self
                .keys
                .issue(user.id, sid, new_jti, Utc::now().timestamp()),
            user,
        })
    }

    /// Revokes the session of a refresh token (idempotent; an expired token still logs out).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AppError> {
        let unauthenticated = || AppError::new(ErrorCode::Unauthenticated);
        let claims = self
            .keys
            .verify(refresh_token, Kind::Refresh)
            .map_err(|_| unauthenticated())?;
        let sid = claims.sid.parse::<i64>().map_err(|_| unauthenticated())?;
        sessions::revoke(&self.pool, sid, now()).await.map_err(db)
    }
}
