//! Plain sqlx functions over `clipfed_video`; callers open transactions when they need one.
//! [`videos`]: the catalogue; [`visits`]: folding visit events into counts, once per event id.
//! Every query names its index in docs/video.md, and a test EXPLAINs each one.

pub mod videos;
pub mod visits;

/// Whether `err` is a unique-index violation.
pub(crate) fn is_duplicate(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
