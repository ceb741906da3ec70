//! The social subgraph's failures and their rows in kit's error table.

use kit::{AppError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    #[error("invalid input: {0}")]
    Invalid(&'static str),
    #[error("no such video")]
    VideoNotFound,
    #[error("no such comment")]
    CommentNotFound,
    #[error("no such user")]
    UserNotFound,
    #[error("already liked")]
    AlreadyLiked,
    #[error("not liked")]
    NotLiked,
    #[error("cannot follow yourself")]
    FollowSelf,
    #[error("already following")]
    AlreadyFollowing,
    #[error("not following")]
    NotFollowing,
    #[error("only the author may delete a comment")]
    NotAuthor,
    #[error("not friends")]
    NotFriends,
    #[error("no such chat group")]
    GroupNotFound,
    #[error("not a member of the chat group")]
    NotGroupMember,
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
            SocialError::GroupNotFound => AppError::new(ErrorCode::GroupNotFound),
            SocialError::NotGroupMember => AppError::new(ErrorCode::NotGroupMember),
            SocialError::NotAuthor => {
                AppError::with_message(ErrorCode::Forbidden, "only the author may delete a comment")
            }
        }
    }
}
