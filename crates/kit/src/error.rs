//! The single, closed error-code table of clipfed and its two renderings.
//!
//! Every failure a client can see is one [`ErrorCode`]: a numeric west2 code (the REST envelope's
//! `base.code`), a stable SCREAMING_SNAKE name and a default message. GraphQL errors carry both in
//! `extensions` (`code`, `name`); REST answers carry them in the `{"base":{"code","msg"}}` envelope.
//! Ranges: 10000 success; 1000x general; 11xxx user; 12xxx video; 13xxx interaction; 14xxx relation;
//! 15xxx upload; 16xxx search; 17xxx chat. Rows are added here, never elsewhere.

use std::borrow::Cow;

use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $name:literal, $msg:literal;)*) => {
        /// One row of the closed error-code table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $msg] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order (used by docs and tests).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The numeric west2 code (`base.code`, GraphQL `extensions.code`).
            pub const fn code(self) -> i32 {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The stable SCREAMING_SNAKE name (GraphQL `extensions.name`).
            pub const fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }

            /// The default human-readable message.
            pub const fn message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $msg,)* }
            }
        }
    };
}

error_codes! {
    Success = 10000, "SUCCESS", "success";
    Internal = 10001, "INTERNAL", "internal error";
    InvalidParameter = 10002, "INVALID_PARAMETER", "invalid parameter";
    Unauthenticated = 10003, "UNAUTHENTICATED", "missing or invalid access token";
    TokenExpired = 10004, "TOKEN_EXPIRED", "access and refresh tokens have expired";
    Forbidden = 10005, "FORBIDDEN", "not allowed";
    RateLimited = 10006, "RATE_LIMITED", "too many requests";
    PayloadTooLarge = 10007, "PAYLOAD_TOO_LARGE", "request too large";
    UnsupportedMediaType = 10008, "UNSUPPORTED_MEDIA_TYPE", "unsupported media type";
    Unavailable = 10009, "UNAVAILABLE", "a dependency is unavailable, retry later";
    UsernameTaken = 11001, "USERNAME_TAKEN", "username already taken";
    BadCredentials = 11002, "BAD_CREDENTIALS", "wrong username or password";
    UserNotFound = 11003, "USER_NOT_FOUND", "user not found";
    MfaCodeRequired = 11004, "MFA_CODE_REQUIRED", "this account needs a TOTP code to log in";
    MfaCodeInvalid = 11005, "MFA_CODE_INVALID", "wrong or reused MFA code";
    RefreshTokenRevoked = 11006, "REFRESH_TOKEN_REVOKED", "refresh token revoked or already used";
    VideoNotFound = 12001, "VIDEO_NOT_FOUND", "video not found";
    UploadConflict = 12002, "UPLOAD_CONFLICT", "this upload id was registered with other content";
    CommentNotFound = 13001, "COMMENT_NOT_FOUND", "comment not found";
    AlreadyLiked = 13002, "ALREADY_LIKED", "already liked";
    NotLiked = 13003, "NOT_LIKED", "not liked, nothing to cancel";
    CannotFollowSelf = 14001, "CANNOT_FOLLOW_SELF", "you cannot follow yourself";
    AlreadyFollowing = 14002, "ALREADY_FOLLOWING", "already following this user";
    NotFollowing = 14003, "NOT_FOLLOWING", "not following this user";
    UploadNotFound = 15001, "UPLOAD_NOT_FOUND", "no such upload (unknown, expired or terminated)";
    UploadOffsetMismatch = 15002, "UPLOAD_OFFSET_MISMATCH", "the offset does not match the upload's";
    ChecksumMismatch = 15003, "CHECKSUM_MISMATCH", "the chunk does not match its checksum; it was discarded";
    UploadBusy = 15004, "UPLOAD_BUSY", "another request is writing this upload; retry";
    ImageUnreadable = 16001, "IMAGE_UNREADABLE", "the image could not be decoded";
    NoImagesIndexed = 16002, "NO_IMAGES_INDEXED", "no image is indexed yet";
    NotFriends = 17001, "NOT_FRIENDS", "private messages go only between friends (users who follow each other)";
    GroupNotFound = 17002, "GROUP_NOT_FOUND", "chat group not found";
    NotGroupMember = 17003, "NOT_GROUP_MEMBER", "you are not a member of this chat group";
}

impl ErrorCode {
    /// Looks a numeric code up in the table.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }
}

/// The cause of an unexpected failure (a dependency's error), kept for the log and never shown.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A typed failure: a code from the table plus a message safe to show the client.
///
/// Internal causes are kept in `source` and logged once, with their chain, where the error becomes
/// a response ([`AppError::into_graphql`], [`AppError::envelope`]); they are never rendered.
/// Deliberately *not* `Display`/`std::error::Error`: async-graphql converts every `Display` type
/// into an uncoded error, so `?` on an `AppError` in a resolver must go through our `From` impl,
/// which adds the code. Services' own error enums follow the same rule ([`graphql_error!`]).
#[derive(Debug)]
pub struct AppError {
    code: ErrorCode,
    message: Cow<'static, str>,
    source: Option<Cause>,
}

/// Makes a service's error enum leave GraphQL resolvers only with its code: `?` on it becomes
/// `AppError::from(err).into_graphql()`, through the enum's one `From<_> for AppError`.
///
/// The enum must not implement `Display`: async-graphql turns every `Display` type into an error
/// *without* a code, and that blanket conversion conflicts with the one this macro writes, so
/// adding `Display` (or `thiserror::Error`) to such an enum does not compile (E0119, conflicting
/// implementations):
///
/// ```compile_fail,E0119
/// use kit::{AppError, ErrorCode};
/// #[derive(Debug)]
/// enum ShopError { SoldOut }
/// impl std::fmt::Display for ShopError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("sold out") }
/// }
/// impl From<ShopError> for AppError {
///     fn from(_: ShopError) -> Self { AppError::new(ErrorCode::InvalidParameter) }
/// }
/// kit::graphql_error!(ShopError); // conflicts with async-graphql's `impl<T: Display> From<T>`
/// ```
///
/// and an enum without it cannot be `?`-ed in a resolver at all (E0277, no `From` for it):
///
/// ```compile_fail,E0277
/// #[derive(Debug)]
/// enum ShopError { SoldOut }
/// fn resolver() -> async_graphql::Result<i32> {
///     let sold: Result<i32, ShopError> = Err(ShopError::SoldOut);
///     Ok(sold?) // no conversion into async_graphql::Error exists
/// }
/// ```
///
/// With the macro, the code arrives in `extensions`:
///
/// ```
/// use kit::{AppError, ErrorCode};
/// #[derive(Debug)]
/// enum ShopError { SoldOut }
/// impl From<ShopError> for AppError {
///     fn from(_: ShopError) -> Self { AppError::new(ErrorCode::NotLiked) }
/// }
/// kit::graphql_error!(ShopError);
/// fn resolver() -> async_graphql::Result<i32> {
///     let sold: Result<i32, ShopError> = Err(ShopError::SoldOut);
///     Ok(sold?)
/// }
/// let err = resolver().unwrap_err();
/// let ext = err.extensions.unwrap();
/// assert_eq!(ext.get("code"), Some(&async_graphql::Value::from(13003)));
/// ```
#[cfg(feature = "graphql")]
#[macro_export]
macro_rules! graphql_error {
    ($error:ty) => {
        impl ::core::convert::From<$error> for ::async_graphql::Error {
            fn from(err: $error) -> Self {
                $crate::AppError::from(err).into_graphql()
            }
        }
    };
}

/// Everything a service's error enum needs besides its one `From<_> for AppError`: the GraphQL
/// conversion ([`graphql_error!`]), `Coded` from an [`AppError`] kit raised, and `Internal` from the
/// errors a use case `?`s (sqlx, serde_json). The enum must have `Coded(AppError)` and
/// `Internal(Cause)` variants.
#[cfg(feature = "graphql")]
#[macro_export]
macro_rules! service_error {
    ($error:ident) => {
        $crate::graphql_error!($error);

        impl ::core::convert::From<$crate::AppError> for $error {
            fn from(err: $crate::AppError) -> Self {
                $error::Coded(err)
            }
        }

        impl ::core::convert::From<::sqlx::Error> for $error {
            fn from(err: ::sqlx::Error) -> Self {
                $error::Internal(err.into())
            }
        }

        impl ::core::convert::From<::serde_json::Error> for $error {
            fn from(err: ::serde_json::Error) -> Self {
                $error::Internal(err.into())
            }
        }
    };
}

impl AppError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: Cow::Borrowed(code.message()),
            source: None,
        }
    }

    /// An error with a specific client-facing message.
    pub fn with_message(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            source: None,
        }
    }

    /// An internal error: the client sees only the opaque default message; the cause is logged
    /// when the error becomes a response.
    pub fn internal(source: impl Into<Cause>) -> Self {
        let source = source.into();
        Self {
            code: ErrorCode::Internal,
            message: Cow::Borrowed(ErrorCode::Internal.message()),
            source: Some(source),
        }
    }

    /// Keeps `source` as this error's cause: logged at the response edge, never rendered.
    pub fn caused(mut self, source: impl Into<Cause>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The message and every cause, for logs of failures that never become a response (consumer
    /// batches, background work).
    pub fn describe(&self) -> String {
        let mut text = self.message.to_string();
        let mut next = self
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }

    /// The table row of this error.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The internal cause, taken (for an error type of its own that logs it later).
    pub fn into_source(self) -> Option<Cause> {
        self.source
    }

    /// The internal cause, if any (for logs only).
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// Logs the cause, if any, with its chain (`error.message`: the outermost cause, `error.chain`:
    /// the message and every cause joined by ": "); the one place failures are logged, at the
    /// response edge.
    fn log_cause(&self) {
        if let Some(source) = self.source.as_deref() {
            tracing::error!(
                error.code = self.code.name(),
                error.message = %source,
                error.chain = %self.describe(),
                "internal error"
            );
        }
    }

    /// The GraphQL rendering: message plus `extensions.code` (numeric) and `extensions.name`.
    #[cfg(feature = "graphql")]
    pub fn into_graphql(self) -> async_graphql::Error {
        self.log_cause();
        let code = self.code;
        use async_graphql::ErrorExtensions;
        async_graphql::Error::new(self.message.into_owned()).extend_with(|_, ext| {
            ext.set("code", code.code());
            ext.set("name", code.name());
        })
    }

    /// The REST envelope of this failure (no `data`).
    pub fn envelope(&self) -> Envelope<()> {
        self.log_cause();
        Envelope {
            base: Base {
                code: self.code.code(),
                msg: self.message.to_string(),
            },
            data: None,
        }
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

#[cfg(feature = "graphql")]
impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.into_graphql()
    }
}

/// The west2 REST envelope: `{"base":{"code":..,"msg":..},"data":..}`; `data` omitted when `None`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Envelope<T> {
    pub base: Base,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// `base` of the envelope.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Base {
    pub code: i32,
    pub msg: String,
}

impl<T> Envelope<T> {
    /// A success envelope (`10000`, `"success"`) carrying `data`.
    pub fn success(data: Option<T>) -> Self {
        Self {
            base: Base {
                code: ErrorCode::Success.code(),
                msg: ErrorCode::Success.message().into(),
            },
            data,
        }
    }
}

/// Result alias for code inside request handling.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_in_their_ranges() {
        let codes: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        let names: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for c in ErrorCode::ALL {
            assert!((10000..18000).contains(&c.code()), "{c:?} out of range");
            assert!(
                c.name()
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch == '_'),
                "{c:?} name not SCREAMING_SNAKE"
            );
            assert_eq!(ErrorCode::from_code(c.code()), Some(*c));
        }
    }

    #[cfg(feature = "graphql")]
    #[test]
    fn graphql_error_carries_numeric_code_and_name() {
        let err = AppError::with_message(ErrorCode::InvalidParameter, "page_size must be 1..=100")
            .into_graphql();
        let server = err.into_server_error(async_graphql::Pos::default());
        let json = serde_json::to_value(&server).unwrap();
        assert_eq!(json["message"], "page_size must be 1..=100");
        assert_eq!(json["extensions"]["code"], 10002);
        assert_eq!(json["extensions"]["name"], "INVALID_PARAMETER");
    }

    #[test]
    fn rest_envelope_of_error_has_no_data_and_success_has_10000() {
        let failure = serde_json::to_value(AppError::new(ErrorCode::Forbidden).envelope()).unwrap();
        assert_eq!(
            failure,
            serde_json::json!({"base": {"code": 10005, "msg": "not allowed"}})
        );
        let ok = serde_json::to_value(Envelope::success(Some(serde_json::json!({"items": []}))))
            .unwrap();
        assert_eq!(
            ok,
            serde_json::json!({"base": {"code": 10000, "msg": "success"}, "data": {"items": []}})
        );
    }

    #[test]
    fn internal_error_hides_its_cause_from_the_client() {
        let err = AppError::internal(std::io::Error::other("password=hunter2 at db:3306"));
        assert_eq!(err.code(), ErrorCode::Internal);
        assert!(!err.message().contains("hunter2"));
        let json = serde_json::to_value(err.envelope()).unwrap();
        assert!(!json.to_string().contains("hunter2"));
    }
}

#[cfg(test)]
mod readme_table {
    use super::ErrorCode;

    #[test]
    fn readme_error_table_matches_the_code() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .unwrap();
        let rows: Vec<(i32, String)> = readme
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let code = cells.get(1)?.parse::<i32>().ok()?;
                Some((code, cells.get(2)?.to_string()))
            })
            .collect();
        let expected: Vec<(i32, String)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.code(), c.name().to_owned()))
            .collect();
        assert_eq!(
            rows, expected,
            "README's error-code table is out of step with ErrorCode"
        );
    }
}
