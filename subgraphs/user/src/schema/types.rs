//! GraphQL object types.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use kit::s3::ObjectUrls;

use crate::store::users::UserRow;

/// A clipfed account.
#[derive(SimpleObject, Clone, Debug)]
pub struct User {
    /// Time-ordered 64-bit id, as a string.
    pub id: ID,
    /// The name the user registered with (unique ignoring case).
    pub username: String,
    /// URL of the avatar image; empty when none was uploaded.
    pub avatar_url: String,
    /// When the account was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the account last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// When the account was deleted (UTC); null while it exists.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl User {
    pub fn from_row(row: &UserRow, avatars: &ObjectUrls) -> Self {
        Self {
            id: ID(row.id.to_string()),
            username: row.username.clone(),
            avatar_url: avatars.url(row.avatar_key.as_deref()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            deleted_at: row.deleted_at.map(|t| t.and_utc()),
        }
    }
}

/// A successful login or token refresh. The REST facade moves the tokens into response headers.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// The logged-in user.
    pub user: User,
    /// Access token (JWT, 1 hour): send as `Access-Token` or `Authorization: Bearer`.
    pub access_token: String,
    /// Refresh token (JWT, 7 days): exchange with `refreshTokens`; each one works once.
    pub refresh_token: String,
}

/// A TOTP secret offered for binding.
#[derive(SimpleObject)]
pub struct MfaOffer {
    /// The base32 secret (for manual entry; send it back to `bindMfa`).
    pub secret: String,
    /// `data:image/png;base64,...` QR code of the `otpauth://` URI.
    pub qrcode: String,
}

/// Parses an id argument; a non-numeric id is a parameter error.
pub fn parse_id(id: &ID) -> Result<i64, kit::AppError> {
    kit::id::parse(id)
}
