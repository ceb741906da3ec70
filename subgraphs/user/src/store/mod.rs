//! Plain sqlx functions over `clipfed_user`; callers open transactions when they need one.
//! Every query is served by an index: `PRIMARY` (by id, `IN` batches), `uk_users_username_key`
//! (login, registration) and `ix_sessions_user` (revoking a user's sessions).

pub mod sessions;
pub mod users;

/// Whether `err` is a unique-index violation (a duplicate username).
pub(crate) fn is_duplicate(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
