//! TOTP: offering a secret with its QR code, and binding it once a code proves the app has it.
//! Replacing a bound secret needs a code of the bound one: an access token alone must not be
//! enough to move an account to another authenticator.

use std::net::IpAddr;

use super::{Accounts, now};
use crate::domain::mfa::MfaSecret;
use crate::error::UserError;
use crate::metrics;
use crate::store;
use chrono::Utc;

/// The secret offered for binding, with its QR code.
pub struct MfaOffer {
    pub secret: String,
    pub qrcode: String,
}

impl Accounts {
    /// A new secret for `user_id`, kept (sealed) as pending until a code proves the app has it.
    pub async fn mfa_offer(&self, user_id: i64) -> Result<MfaOffer, UserError> {
        let user = self.user(user_id).await?;
        let secret = MfaSecret::generate();
        store::users::set_mfa_pending(
            &self.pool,
            user_id,
            &self.secrets.seal(secret.bytes()),
            now(),
        )
        .await?;
        Ok(MfaOffer {
            qrcode: secret.qr_data_url(&user.username)?,
            secret: secret.base32(),
        })
    }

    /// Binds the pending secret once `code` shows the authenticator has it. When a secret is
    /// bound already, `current` must be a fresh code of it (spent like a login code, throttled
    /// like one), and every session of the user is revoked with the change.
    pub async fn mfa_bind(
        &self,
        user_id: i64,
        secret: &str,
        code: &str,
        current: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<(), UserError> {
        let offered = MfaSecret::from_base32(secret)?;
        let user = self.user(user_id).await?;
        let pending = user
            .mfa_pending
            .as_deref()
            .ok_or(UserError::InvalidMfaSecret)?;
        if MfaSecret::from_bytes(self.secrets.open(pending)?) != offered {
            return Err(UserError::InvalidMfaSecret);
        }
        let step = offered.verify(code, Utc::now().timestamp() as u64, None)?;
        // Last, so that a mistake above does not cost the owner a code of the bound secret.
        let replacing = user.mfa_secret.is_some();
        if let Some(sealed) = &user.mfa_secret {
            let key = user.username.to_lowercase();
            self.guard.admit(&key, client).await?;
            self.spend_code(&user, sealed, current).await?;
            self.guard.succeeded(&key).await?;
        }
        let mut tx = self.pool.begin().await?;
        store::users::bind_mfa(
            &mut *tx,
            user_id,
            &self.secrets.seal(offered.bytes()),
            step as i64,
            now(),
        )
        .await?;
        let revoked = if replacing {
            store::sessions::revoke_all(&mut *tx, user_id, now()).await?
        } else {
            0
        };
        tx.commit().await?;
        metrics::mfa_bound();
        if replacing {
            tracing::info!(
                user.id = user_id,
                sessions.revoked = revoked,
                "MFA secret replaced"
            );
        }
        Ok(())
    }
}
