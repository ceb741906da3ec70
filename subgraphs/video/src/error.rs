//! The video subgraph's failures and their rows in kit's error table.
//!
//! Use cases return [`VideoError`]; it becomes an [`AppError`] in one place (the `From` below), and
//! has no `Display`, so a resolver can only `?` it through that conversion
//! ([`kit::service_error!`]): no failure leaves without its code.

use kit::error::Cause;
use kit::{AppError, ErrorCode};

#[derive(Debug)]
pub enum VideoError {
    Invalid(&'static str),
    NotFound,
    UploadConflict,
    /// Only the uploader may do this.
    NotOwner,
    /// Redis or Kafka did not answer; the client may retry.
    Unavailable,
    /// A failure kit already coded (page arguments, rate limits).
    Coded(AppError),
    /// A dependency failed unexpectedly (MySQL, JSON encoding); logged at the response edge.
    Internal(Cause),
}

impl From<VideoError> for AppError {
    fn from(err: VideoError) -> Self {
        match err {
            VideoError::Invalid(why) => AppError::with_message(ErrorCode::InvalidParameter, why),
            VideoError::NotFound => AppError::new(ErrorCode::VideoNotFound),
            VideoError::UploadConflict => AppError::new(ErrorCode::UploadConflict),
            VideoError::NotOwner => {
                AppError::with_message(ErrorCode::Forbidden, "only the uploader may do this")
            }
            VideoError::Unavailable => AppError::new(ErrorCode::Unavailable),
            VideoError::Coded(err) => err,
            VideoError::Internal(cause) => AppError::internal(cause),
        }
    }
}

kit::service_error!(VideoError);
