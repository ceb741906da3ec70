//! The user subgraph's failures and their rows in kit's error table.
//!
//! Use cases return [`UserError`]; it becomes an [`AppError`] in one place (the `From` below), and
//! has no `Display`, so a resolver can only `?` it through that conversion
//! ([`kit::service_error!`]): no failure leaves without its code.

use kit::error::Cause;
use kit::{AppError, ErrorCode};

#[derive(Debug)]
pub enum UserError {
    Invalid(&'static str),
    InvalidUsername(&'static str),
    InvalidPassword(&'static str),
    UsernameTaken,
    UserNotFound,
    BadCredentials,
    MfaCodeRequired,
    /// The MFA secret is not one this service issued.
    InvalidMfaSecret,
    MfaCodeInvalid,
    /// Both tokens of a session have expired.
    TokenExpired,
    /// The token does not verify.
    Unauthenticated,
    /// The refresh token was revoked or already used.
    RefreshTokenRevoked,
    /// A stored secret cannot be decrypted (wrong key or damaged row).
    CorruptSecret,
    /// Rendering the QR code failed.
    Qr(String),
    /// A failure kit already coded (rate limits, Redis unavailable).
    Coded(AppError),
    /// A dependency failed (MySQL, JSON encoding, the hashing pool); logged at the response edge.
    Internal(Cause),
}

impl UserError {
    /// The row of kit's table this failure is.
    pub fn code(&self) -> ErrorCode {
        match self {
            UserError::Invalid(_)
            | UserError::InvalidUsername(_)
            | UserError::InvalidPassword(_)
            | UserError::InvalidMfaSecret => ErrorCode::InvalidParameter,
            UserError::UsernameTaken => ErrorCode::UsernameTaken,
            UserError::UserNotFound => ErrorCode::UserNotFound,
            UserError::BadCredentials => ErrorCode::BadCredentials,
            UserError::MfaCodeRequired => ErrorCode::MfaCodeRequired,
            UserError::MfaCodeInvalid => ErrorCode::MfaCodeInvalid,
            UserError::TokenExpired => ErrorCode::TokenExpired,
            UserError::Unauthenticated => ErrorCode::Unauthenticated,
            UserError::RefreshTokenRevoked => ErrorCode::RefreshTokenRevoked,
            UserError::Coded(err) => err.code(),
            UserError::CorruptSecret | UserError::Qr(_) | UserError::Internal(_) => {
                ErrorCode::Internal
            }
        }
    }
}

impl From<UserError> for AppError {
    fn from(err: UserError) -> Self {
        let code = err.code();
        match err {
            UserError::Invalid(why)
            | UserError::InvalidUsername(why)
            | UserError::InvalidPassword(why) => AppError::with_message(code, why),
            UserError::InvalidMfaSecret => AppError::with_message(code, "unknown MFA secret"),
            UserError::CorruptSecret => AppError::internal("stored secret cannot be decrypted"),
            UserError::Qr(why) => AppError::internal(format!("QR code rendering failed: {why}")),
            UserError::Coded(err) => err,
            UserError::Internal(cause) => AppError::internal(cause),
            _ => AppError::new(code),
        }
    }
}

kit::service_error!(UserError);
