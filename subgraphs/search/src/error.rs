//! The search subgraph's failures and their rows in kit's error table.
//!
//! Use cases return [`SearchError`]; it becomes an [`AppError`] in one place (the `From` below), and
//! has no `Display`, so a resolver can only `?` it through that conversion
//! ([`kit::service_error!`]): no failure leaves without its code.

use std::borrow::Cow;

use kit::error::Cause;
use kit::{AppError, ErrorCode};

#[derive(Debug)]
pub enum SearchError {
    Invalid(Cow<'static, str>),
    /// Milvus, S3 or the image model failed: the client may retry. The cause names addresses, so
    /// it is logged, never answered.
    Unavailable(&'static str, Cause),
    /// A failure kit or the image gate already coded (size, type, undecodable image).
    Coded(AppError),
    /// MySQL failed; logged at the response edge.
    Internal(Cause),
}

impl From<SearchError> for AppError {
    fn from(err: SearchError) -> Self {
        match err {
            SearchError::Invalid(why) => AppError::with_message(ErrorCode::InvalidParameter, why),
            SearchError::Unavailable(what, cause) => {
                AppError::with_message(ErrorCode::Unavailable, what).caused(cause)
            }
            SearchError::Coded(err) => err,
            SearchError::Internal(cause) => AppError::internal(cause),
        }
    }
}

kit::service_error!(SearchError);

impl SearchError {
    /// Bad input, with the message the client sees.
    pub fn invalid(why: impl Into<Cow<'static, str>>) -> Self {
        SearchError::Invalid(why.into())
    }

    /// The image index (Milvus or S3) failed.
    pub fn index(cause: impl Into<Cause>) -> Self {
        SearchError::Unavailable("the image index is unavailable, retry later", cause.into())
    }
}

impl From<crate::adapters::embed::EmbedError> for SearchError {
    fn from(err: crate::adapters::embed::EmbedError) -> Self {
        SearchError::Coded(err.into())
    }
}
