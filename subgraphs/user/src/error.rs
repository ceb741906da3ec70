//! The user subgraph's failures and their rows in kit's error table.

use kit::{AppError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid username: {0}")]
    InvalidUsername(&'static str),
    #[error("invalid password: {0}")]
    InvalidPassword(&'static str),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the MFA secret is not a secret this service issued")]
    InvalidMfaSecret,
    #[error("wrong or reused MFA code")]
    MfaCodeInvalid,
    #[error("stored secret cannot be decrypted")]
    CorruptSecret,
    #[error("QR code rendering failed: {0}")]
    Qr(String),
}

impl From<UserError> for AppError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::InvalidUsername(why) | UserError::InvalidPassword(why) => {
                AppError::with_message(ErrorCode::InvalidParameter, why)
            }
            UserError::BadCredentials => AppError::new(ErrorCode::BadCredentials),
            UserError::InvalidMfaSecret => {
                AppError::with_message(ErrorCode::InvalidParameter, "unknown MFA secret")
            }
            UserError::MfaCodeInvalid => AppError::new(ErrorCode::MfaCodeInvalid),
            err @ (UserError::CorruptSecret | UserError::Qr(_)) => AppError::internal(err),
        }
    }
}
