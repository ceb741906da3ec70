//! The video subgraph's failures and their rows in kit's error table.

use kit::{AppError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("invalid video: {0}")]
    Invalid(&'static str),
    #[error("no such video")]
    NotFound,
    #[error("the upload was registered with other content")]
    UploadConflict,
    #[error("only the uploader may do this")]
    NotOwner,
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
        }
    }
}
