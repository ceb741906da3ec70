//! The social subgraph's failures and their rows in kit's error table.
//!
//! Use cases return [`SocialError`]; it becomes an [`AppError`] in one place (the `From` below), and
//! has no `Display`, so a resolver can only `?` it through that conversion
//! ([`kit::service_error!`]): no failure leaves without its code.

use kit::error::Cause;
use kit::{AppError, ErrorCode};

#[derive(Debug)]
pub enum SocialError {
    Invalid(&'static str),
    VideoNotFound,
    CommentNotFound,
    UserNotFound,
    AlreadyLiked,
    NotLiked,
    FollowSelf,
    AlreadyFollowing,
    NotFollowing,
    /// Only the author may delete a comment.
    NotAuthor,
    NotFriends,
    /// A group's members must all be friends of its creator.
    MembersNotFriends,
    GroupNotFound,
    NotGroupMember,
    /// A failure kit already coded (page arguments, text checks).
    Coded(AppError),
    /// A dependency failed (MySQL, JSON encoding); logged at the response edge.
    Internal(Cause),
}

impl From<SocialError> for AppError {
    fn from(err: SocialError) -> Self {
        match err {
            SocialError::Invalid(why) => AppError::with_message(ErrorCode::InvalidParameter, why),
            SocialError::VideoNotFound => AppError::new(ErrorCode::VideoNotFound),
            SocialError::CommentNotFound => AppError::new(ErrorCode::CommentNotFound),
            SocialError::UserNotFound => AppError::new(ErrorCode::UserNotFound),
            SocialError::AlreadyLiked => AppError::new(ErrorCode::AlreadyLiked),
            SocialError::NotLiked => AppError::new(ErrorCode::NotLiked),
            SocialError::FollowSelf => AppError::new(ErrorCode::CannotFollowSelf),
            SocialError::AlreadyFollowing => AppError::new(ErrorCode::AlreadyFollowing),
            SocialError::NotFollowing => AppError::new(ErrorCode::NotFollowing),
            SocialError::NotFriends => AppError::new(ErrorCode::NotFriends),
            SocialError::MembersNotFriends => AppError::with_message(
                ErrorCode::NotFriends,
                "every member must be a friend of the group's creator",
            ),
            SocialError::GroupNotFound => AppError::new(ErrorCode::GroupNotFound),
            SocialError::NotGroupMember => AppError::new(ErrorCode::NotGroupMember),
            SocialError::NotAuthor => {
                AppError::with_message(ErrorCode::Forbidden, "only the author may delete a comment")
            }
            SocialError::Coded(err) => err,
            SocialError::Internal(cause) => AppError::internal(cause),
        }
    }
}

kit::service_error!(SocialError);
