//! The account operations: the domain rules applied over the store, one method per use case.
//! Resolvers stay thin and call these; every failure leaves as a coded [`AppError`].

use chrono::{NaiveDateTime, Utc};
use kit::{AppError, ErrorCode};
use sqlx::MySqlPool;

use crate::domain::mfa::MfaSecret;
use crate::domain::password::{Password, PasswordHasher};
use crate::domain::secretbox::SecretBox;
use crate::domain::token::{Kind, TokenError, TokenKeys, TokenPair};
use crate::domain::username::Username;
use crate::error::UserError;
use crate::store::{self, sessions, users::UserRow};

/// Everything the account use cases need.
#[derive(Clone)]
pub struct Accounts {
    pub pool: MySqlPool,
    pub hasher: PasswordHasher,
    pub keys: TokenKeys,
    pub secrets: SecretBox,
}

/// The result of a login or refresh.
pub struct Session {
    pub user: UserRow,
    pub tokens: TokenPair,
}

/// The secret offered for binding, with its QR code.
pub struct MfaOffer {
    pub secret: String,
    pub qrcode: String,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn db(err: sqlx::Error) -> AppError {
    AppError::internal(err)
}

impl Accounts {
    /// Creates an account; the username is unique ignoring case.
    pub async fn register(&self, username: &str, password: &str) -> Result<UserRow, AppError> {
        let name = Username::parse(username)?;
        let password = Password::parse(password)?;
        let hash = {
            let hasher = self.hasher.clone();
            tokio::task::spawn_blocking(move || hasher.hash(&password))
                .await
                .map_err(AppError::internal)?
        };
        let id = kit::id::next_id();
        match store::users::insert(&self.pool, id, name.as_str(), &name.key(), &hash, now()).await {
            Ok(()) => {}
            Err(e) if store::is_duplicate(&e) => {
                return Err(AppError::new(ErrorCode::UsernameTaken));
            }
            Err(e) => return Err(db(e)),
        }
        store::users::by_id(&self.pool, id)
            .await
            .map_err(db)?
            .ok_or_else(|| AppError::internal("row vanished after insert"))
    }

    /// Checks the password (and the TOTP code once MFA is bound) and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<Session, AppError> {
        let presented = Password::presented(password)?;
        let key = Username::parse(username)
            .map_err(|_| UserError::BadCredentials)?
            .key();
        let row = store::users::by_key(&self.pool, &key).await.map_err(db)?;
        let hash = row.as_ref().map(|r| r.password_hash.clone());
        let hasher = self.hasher.clone();
        // Unknown users still pay for a hash so timing does not reveal which usernames exist.
        let ok = tokio::task::spawn_blocking(move || match hash {
            Some(h) => hasher.verify(&presented, &h),
            None => {
                let _ = hasher.hash(&presented);
                false
            }
        })
        .await
        .map_err(AppError::internal)?;
        let user = match (ok, row) {
            (true, Some(user)) => user,
            _ => return Err(UserError::BadCredentials.into()),
        };
        if let Some(sealed) = &user.mfa_secret {
            let code = code
                .filter(|c| !c.is_empty())
                .ok_or_else(|| AppError::new(ErrorCode::MfaCodeRequired))?;
            let secret = MfaSecret::from_bytes(self.secrets.open(sealed)?);
            let step = secret.verify(
                code,
                Utc::now().timestamp() as u64,
                user.mfa_last_step.map(|s| s as u64),
            )?;
            if !store::users::spend_mfa_step(&self.pool, user.id, step as i64)
                .await
                .map_err(db)?
            {
                return Err(UserError::MfaCodeInvalid.into());
            }
        }
        let (sid, jti) = (kit::id::next_id(), kit::id::next_id());
        let issued_at = Utc::now().timestamp();
        let expires = now() + chrono::Duration::seconds(self.keys.refresh_ttl_secs);
        sessions::create(&self.pool, sid, user.id, jti, expires, now())
            .await
            .map_err(db)?;
        Ok(Session {
            tokens: self.keys.issue(user.id, sid, jti, issued_at),
            user,
        })
    }

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
        let user = store::users::by_id(&self.pool, session.user_id)
            .await
            .map_err(db)?
            .ok_or_else(invalid)?;
        Ok(Session {
            tokens: self
                .keys
                .issue(user.id, sid, new_jti, Utc::now().timestamp()),
            user,
        })
    }

    /// Revokes the session of a refresh token (idempotent; an expired token still logs out).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AppError> {
        let claims = match self.keys.verify(refresh_token, Kind::Refresh) {
            Ok(c) => c,
            Err(_) => return Err(AppError::new(ErrorCode::Unauthenticated)),
        };
        let sid = claims
            .sid
            .parse::<i64>()
            .map_err(|_| AppError::new(ErrorCode::Unauthenticated))?;
        sessions::revoke(&self.pool, sid, now()).await.map_err(db)
    }

    /// A new secret for `user_id`, kept (sealed) as pending until a code proves the app has it.
    pub async fn mfa_offer(&self, user_id: i64) -> Result<MfaOffer, AppError> {
        let user = store::users::by_id(&self.pool, user_id)
            .await
            .map_err(db)?
            .ok_or_else(|| AppError::new(ErrorCode::UserNotFound))?;
        let secret = MfaSecret::generate();
        store::users::set_mfa_pending(
            &self.pool,
            user_id,
            &self.secrets.seal(secret.bytes()),
            now(),
        )
        .await
        .map_err(db)?;
        Ok(MfaOffer {
            qrcode: secret.qr_data_url(&user.username)?,
            secret: secret.base32(),
        })
    }

    /// Binds the pending secret once `code` shows the authenticator has it.
    pub async fn mfa_bind(&self, user_id: i64, secret: &str, code: &str) -> Result<(), AppError> {
        let offered = MfaSecret::from_base32(secret)?;
        let user = store::users::by_id(&self.pool, user_id)
            .await
            .map_err(db)?
            .ok_or_else(|| AppError::new(ErrorCode::UserNotFound))?;
        let pending = user
            .mfa_pending
            .as_deref()
            .ok_or(UserError::InvalidMfaSecret)?;
        if MfaSecret::from_bytes(self.secrets.open(pending)?) != offered {
            return Err(UserError::InvalidMfaSecret.into());
        }
        let step = offered.verify(code, Utc::now().timestamp() as u64, None)?;
        store::users::bind_mfa(
            &self.pool,
            user_id,
            &self.secrets.seal(offered.bytes()),
            step as i64,
            now(),
        )
        .await
        .map_err(db)
    }

    /// Live accounts among `ids` (one query).
    pub async fn by_ids(&self, ids: &[i64]) -> Result<Vec<UserRow>, AppError> {
        store::users::by_ids(&self.pool, ids).await.map_err(db)
    }

    /// Sets the avatar object of a user (called by the upload service after it checked the bytes).
    pub async fn set_avatar(&self, user_id: i64, object_key: &str) -> Result<UserRow, AppError> {
        if object_key.is_empty() || object_key.len() > 512 {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                "object key must be 1 to 512 bytes",
            ));
        }
        if !store::users::set_avatar(&self.pool, user_id, object_key, now())
            .await
            .map_err(db)?
        {
            return Err(AppError::new(ErrorCode::UserNotFound));
        }
        store::users::by_id(&self.pool, user_id)
            .await
            .map_err(db)?
            .ok_or_else(|| AppError::new(ErrorCode::UserNotFound))
    }
}
