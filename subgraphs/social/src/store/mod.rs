//! Plain sqlx functions over `clipfed_social`; callers open transactions when they need one.
//! [`shards`]: the sharded tables and their names; [`likes`], [`comments`], [`follows`]: the source
//! rows; [`chat`]: private and group messages; [`counters`]: folding events into counter rows and rebuilding them; [`known`]: the videos
//! and users other services announced. Every read names its index in docs/social.md, and a test
//! EXPLAINs each one.

pub mod chat;
pub mod comments;
pub mod counters;
pub mod follows;
pub mod known;
pub mod likes;
pub mod shards;

/// Whether `err` is a unique-index violation.
pub(crate) fn is_duplicate(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// Whether `err` is an InnoDB deadlock (1213) or lock-wait timeout (1205): the transaction was
/// rolled back and may be retried.
pub fn is_retryable(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .is_some_and(|e| matches!(e.number(), 1213 | 1205))
}
