//! The account operations: the domain rules applied over the store, one method per use case.
//! Resolvers stay thin and call these; every failure is a [`UserError`], which carries its code.
//!
//! This file: registration, login, password change and lookups; [`tokens`]: refresh and logout;
//! [`mfa`]: offering and binding TOTP secrets.

mod mfa;
mod tokens;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use sqlx::MySqlPool;
use tokio::sync::Semaphore;

use crate::adapters::guard::LoginGuard;
use crate::domain::events::UserEvent;
use crate::domain::mfa::MfaSecret;
use crate::domain::password::{Password, PasswordHasher};
use crate::domain::secretbox::SecretBox;
use crate::domain::username::Username;
use crate::error::UserError;
use crate::metrics;
use crate::store::{self, sessions, users::UserRow};
use kit::token::{TokenKeys, TokenPair};

pub use mfa::MfaOffer;

/// Everything the account use cases need.
#[derive(Clone)]
pub struct Accounts {
    pub pool: MySqlPool,
    pub hasher: PasswordHasher,
    pub keys: TokenKeys,
    pub secrets: SecretBox,
    pub guard: LoginGuard,
    /// `user.events`, written through the outbox.
    pub events_topic: String,
    /// Wakes the outbox relay after a commit.
    pub relay: Arc<tokio::sync::Notify>,
    /// Hashes that may run at once. Each argon2 call holds `password.memory_kib` of RAM, so this
    /// caps the memory a burst of logins can take (excess calls queue) instead of letting the
    /// blocking pool grow to hundreds of threads.
    pub hash_slots: Arc<Semaphore>,
}

/// The result of a login or refresh.
pub struct Session {
    pub user: UserRow,
    pub tokens: TokenPair,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl Accounts {
    /// Creates an account; the username is unique ignoring case. Each registration costs a hash,
    /// so it counts against the `client` address's password budget first.
    pub async fn register(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<UserRow, UserError> {
        self.guard.admit_address(client).await?;
        let name = Username::parse(username)?;
        let hash = self.hash(Password::parse(password)?).await?;
        let id = kit::id::next_id();
        let at = now();
        let mut tx = self.pool.begin().await?;
        match store::users::insert(&mut tx, id, name.as_str(), &name.key(), &hash, at).await {
            Ok(()) => {}
            Err(e) if store::is_duplicate(&e) => {
                return Err(UserError::UsernameTaken);
            }
            Err(e) => return Err(e.into()),
        }
        let event = UserEvent::Registered {
            id: kit::id::next_id(),
            user_id: id,
            username: name.as_str().to_owned(),
            created_at_ms: at.and_utc().timestamp_millis(),
        };
        self.commit_with(tx, id, &event).await?;
        metrics::registered();
        self.user(id).await
    }

    /// Checks the password (and the TOTP code once MFA is bound) and opens a session. Attempts are
    /// throttled per username and per `client` address before any hashing happens.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Session, UserError> {
        let result = self.try_login(username, password, code, client).await;
        metrics::login(&result);
        result
    }

    async fn try_login(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Session, UserError> {
        // The same fold as `Username::key`, applied before validation so malformed names count too.
        let key = username.to_lowercase();
        self.guard.admit(&key, client).await?;
        let presented = Password::presented(password)?;
        Username::parse(username).map_err(|_| UserError::BadCredentials)?;
        let row = store::users::by_key(&self.pool, &key).await?;
        let ok = self
            .verify(presented, row.as_ref().map(|r| r.password_hash.clone()))
            .await?;
        let user = match (ok, row) {
            (true, Some(user)) => user,
            _ => return Err(UserError::BadCredentials),
        };
        if let Some(sealed) = &user.mfa_secret {
            self.spend_code(&user, sealed, code).await?;
        }
        self.guard.succeeded(&key).await?;
        let (sid, jti) = (kit::id::next_id(), kit::id::next_id());
        let expires = now() + chrono::Duration::seconds(self.keys.refresh_ttl_secs);
        sessions::create(&self.pool, sid, user.id, jti, expires, now()).await?;
        Ok(Session {
            tokens: self.keys.issue(user.id, sid, jti, Utc::now().timestamp()),
            user,
        })
    }

    /// Checks a login's TOTP code against the bound secret and spends its step for good.
    async fn spend_code(
        &self,
        user: &UserRow,
        sealed: &[u8],
        code: Option<&str>,
    ) -> Result<(), UserError> {
        let code = code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| UserError::MfaCodeRequired)?;
        let secret = MfaSecret::from_bytes(self.secrets.open(sealed)?);
        let step = secret.verify(
            code,
            Utc::now().timestamp() as u64,
            user.mfa_last_step.map(|s| s as u64),
        )?;
        if store::users::spend_mfa_step(&self.pool, user.id, step as i64).await? {
            Ok(())
        } else {
            Err(UserError::MfaCodeInvalid)
        }
    }

    /// Replaces the password after checking the current one, and revokes every session of the
    /// user in the same transaction: all refresh tokens stop working at once. Access tokens already
    /// issued stay valid until they expire (at most the access lifetime); they are never stored.
    /// The check shares the login's limits: guesses here and at login count as one budget.
    pub async fn change_password(
        &self,
        user_id: i64,
        current: &str,
        new: &str,
        client: Option<IpAddr>,
    ) -> Result<(), UserError> {
        let new = Password::parse(new)?;
        let presented = Password::presented(current)?;
        let user = self.user(user_id).await?;
        let key = user.username.to_lowercase();
        self.guard.admit(&key, client).await?;
        if !self
            .verify(presented, Some(user.password_hash.clone()))
            .await?
        {
            return Err(UserError::BadCredentials);
        }
        self.guard.succeeded(&key).await?;
        let hash = self.hash(new).await?;
        let mut tx = self.pool.begin().await?;
        if !store::users::set_password(&mut *tx, user_id, &hash, now()).await? {
            return Err(UserError::UserNotFound);
        }
        let revoked = sessions::revoke_all(&mut *tx, user_id, now()).await?;
        tx.commit().await?;
        metrics::password_changed();
        tracing::info!(
            user.id = user_id,
            sessions.revoked = revoked,
            "password changed"
        );
        Ok(())
    }

    /// A live account by id.
    pub async fn user(&self, id: i64) -> Result<UserRow, UserError> {
        store::users::by_id(&self.pool, id)
            .await?
            .ok_or_else(|| UserError::UserNotFound)
    }

    /// Live accounts among `ids` (one query).
    pub async fn by_ids(&self, ids: &[i64]) -> Result<Vec<UserRow>, UserError> {
        store::users::by_ids(&self.pool, ids)
            .await
            .map_err(UserError::from)
    }

    /// Sets the avatar object of a user (called by the upload service after it checked the bytes).
    pub async fn set_avatar(&self, user_id: i64, object_key: &str) -> Result<UserRow, UserError> {
        if object_key.is_empty() || object_key.len() > 512 {
            return Err(UserError::Invalid("object key must be 1 to 512 bytes"));
        }
        let mut tx = self.pool.begin().await?;
        if !store::users::set_avatar(&mut tx, user_id, object_key, now()).await? {
            return Err(UserError::UserNotFound);
        }
        let event = UserEvent::AvatarChanged {
            id: kit::id::next_id(),
            user_id,
            avatar_key: object_key.to_owned(),
        };
        self.commit_with(tx, user_id, &event).await?;
        self.user(user_id).await
    }

    /// Adds `event` (keyed by the user) to the outbox in `tx`, commits, and wakes the relay.
    async fn commit_with(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::MySql>,
        user_id: i64,
        event: &UserEvent,
    ) -> Result<(), UserError> {
        let payload = serde_json::to_vec(event)?;
        kit::outbox::enqueue(
            &mut tx,
            event.id(),
            &self.events_topic,
            user_id.to_string().as_bytes(),
            &payload,
        )
        .await?;
        tx.commit().await?;
        self.relay.notify_one();
        Ok(())
    }

    /// argon2 off the async threads, at most `hash_slots` at a time.
    async fn hash(&self, password: Password) -> Result<String, UserError> {
        let hasher = self.hasher.clone();
        self.blocking(move || hasher.hash(&password)).await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, UserError> {
        let _slot = self
            .hash_slots
            .acquire()
            .await
            .map_err(|err| UserError::Internal(err.into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| UserError::Internal(err.into()))
    }

    /// Checks `presented` against `hash`. Without a hash (unknown user) it still pays for one, so
    /// timing does not reveal which usernames exist.
    async fn verify(&self, presented: Password, hash: Option<String>) -> Result<bool, UserError> {
        let hasher = self.hasher.clone();
        self.blocking(move || match hash {
            Some(h) => hasher.verify(&presented, &h),
            None => {
                let _ = hasher.hash(&presented);
                false
            }
        })
        .await
    }
}
