//! TOTP: offering a secret with its QR code, and binding it once a code proves the app has it.

use chrono::Utc;
use kit::AppError;

use super::{Accounts, db, now};
use crate::domain::mfa::MfaSecret;
use crate::error::UserError;
use crate::metrics;
use crate::store;

/// The secret offered for binding, with its QR code.
pub struct MfaOffer {
    pub secret: String,
    pub qrcode: String,
}

impl Accounts {
    /// A new secret for `user_id`, kept (sealed) as pending until a code proves the app has it.
    pub async fn mfa_offer(&self, user_id: i64) -> Result<MfaOffer, AppError> {
        let user = self.user(user_id).await?;
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
        let user = self.user(user_id).await?;
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
        .map_err(db)?;
        metrics::mfa_bound();
        Ok(())
    }
}
