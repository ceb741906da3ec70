//! The upload service's one failure type. Each failure has an HTTP status (what tus clients act
//! on: 409 resume from HEAD, 423 retry, 460 resend the chunk) and a code of kit's table (what the
//! west2 endpoints put in the envelope). Constructors name the situations. A dependency's failure
//! is kept as the cause and logged once, where the error becomes a response ([`UploadError::log`]).

use std::borrow::Cow;

use axum::http::StatusCode;
use kit::error::{AppError, Cause, ErrorCode};

use crate::adapters::objects::S3Error;

/// The status tus defines for a checksum mismatch.
pub const CHECKSUM_MISMATCH: u16 = 460;

#[derive(Debug)]
pub struct UploadError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, for 423 and 503.
    pub retry_after: Option<u64>,
    /// What failed underneath (logged, never answered).
    pub cause: Option<Cause>,
}

impl UploadError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            cause: None,
        }
    }

    /// Keeps `cause` for the log.
    fn caused(mut self, cause: impl Into<Cause>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Logs the cause, if any (called where the error becomes a response).
    pub fn log(&self) {
        if let Some(cause) = &self.cause {
            tracing::error!(error.code = self.code.name(), error.message = %cause, "upload failed");
        }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            message,
        )
    }

    pub fn unauthenticated(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            message,
        )
    }

    /// Unknown, expired, terminated, or someone else's upload (never told apart).
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UploadNotFound,
            ErrorCode::UploadNotFound.message(),
        )
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn offset_mismatch(expected: i64) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            ErrorCode::UploadOffsetMismatch,
            format!("Upload-Offset must be {expected}: resume from the offset HEAD reports"),
        )
    }

    pub fn precondition(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            ErrorCode::InvalidParameter,
            message,
        )
    }

    pub fn too_large(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            message,
        )
    }

    pub fn unsupported_media(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            message,
        )
    }

    pub fn locked() -> Self {
        let mut err = Self::new(
            StatusCode::LOCKED,
            ErrorCode::UploadBusy,
            ErrorCode::UploadBusy.message(),
        );
        err.retry_after = Some(1);
        err
    }

    pub fn checksum_mismatch() -> Self {
        Self::new(
            StatusCode::from_u16(CHECKSUM_MISMATCH).expect("460 is a valid status"),
            ErrorCode::ChecksumMismatch,
            ErrorCode::ChecksumMismatch.message(),
        )
    }

    /// Too many uploads stream at once.
    pub fn busy() -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "too many uploads in progress; retry shortly",
        );
        err.retry_after = Some(2);
        err
    }

    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            message,
        );
        err.retry_after = Some(5);
        err
    }

    /// The client sees an opaque message; the cause is logged.
    pub fn internal(source: impl Into<Cause>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            ErrorCode::Internal.message(),
        )
        .caused(source)
    }

    /// The REST envelope's view (logs the cause).
    pub fn app_error(&self) -> AppError {
        self.log();
        AppError::with_message(self.code, self.message.clone())
    }
}

/// Credential failures from kit: 401 or 403 as tus clients expect.
impl From<AppError> for UploadError {
    fn from(err: AppError) -> Self {
        let status = match err.code() {
            ErrorCode::Unauthenticated | ErrorCode::TokenExpired => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::InvalidParameter => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut out = Self::new(status, err.code(), err.message().to_owned());
        out.cause = err.into_source();
        out
    }
}

impl From<sqlx::Error> for UploadError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal(err)
    }
}

impl From<S3Error> for UploadError {
    fn from(err: S3Error) -> Self {
        Self::unavailable("the object store failed; retry").caused(err)
    }
}
