//! Who is calling a service's own HTTP routes (the file routes the router streams through, and
//! clients that talk to a service directly). In order: the router's signed `x-clipfed-caller`
//! header (the router verified the user's tokens at the edge), then a user access token
//! (`Authorization: Bearer`, `Access-Token`), then a token the route found elsewhere (e.g. tus
//! metadata, for clients that cannot set headers). Tokens are checked locally with the user
//! service's public key. GraphQL endpoints use [`crate::caller`] alone: only the router reaches
//! them.

use http::HeaderMap;

use crate::caller::{Caller, CallerVerifier};
use crate::error::{AppError, ErrorCode};
use crate::token::{Kind, TokenError, TokenVerifier};

/// The keys that verify callers.
#[derive(Clone)]
pub struct Credentials {
    pub tokens: TokenVerifier,
    pub callers: CallerVerifier,
}

fn unauthenticated(message: &'static str) -> AppError {
    AppError::with_message(ErrorCode::Unauthenticated, message)
}

impl Credentials {
    /// The verifiers named in a service's `[auth]` section.
    pub fn from_config(auth: &crate::config::TokenAuth) -> Result<Self, crate::keys::KeyError> {
        Ok(Self {
            tokens: TokenVerifier::new("auth.jwt_public_key", &auth.jwt_public_key)?,
            callers: CallerVerifier::new(&auth.callers)?,
        })
    }

    /// The user behind the request: `Ok(None)` when it carries no credential at all, an error
    /// (`UNAUTHENTICATED`, or `FORBIDDEN` for a service caller) when one is present but does not
    /// verify.
    pub fn user(&self, headers: &HeaderMap, other: Option<&str>) -> Result<Option<i64>, AppError> {
        if let Some(value) = header(headers, crate::caller::HEADER) {
            return match self.callers.verify(value) {
                Ok(Caller::User(id)) => Ok(Some(id)),
                Ok(_) => Err(AppError::with_message(
                    ErrorCode::Forbidden,
                    "this route acts for users, not services",
                )),
                Err(_) => Err(unauthenticated("the caller header does not verify")),
            };
        }
        let token = access_token(|name| header(headers, name)).or(other.filter(|t| !t.is_empty()));
        let Some(token) = token else {
            return Ok(None);
        };
        match self.tokens.verify(token, Kind::Access) {
            Ok(claims) => claims
                .sub
                .parse()
                .map(Some)
                .map_err(|_| unauthenticated("the access token names no user")),
            Err(TokenError::Expired) => Err(unauthenticated(
                "the access token has expired; renew it with the refresh token",
            )),
            Err(TokenError::Invalid) => Err(unauthenticated("the access token is invalid")),
        }
    }

    /// Like [`Credentials::user`], but a credential is required.
    pub fn require_user(&self, headers: &HeaderMap, other: Option<&str>) -> Result<i64, AppError> {
        self.user(headers, other)?
            .ok_or_else(|| unauthenticated("an access token is required"))
    }
}

/// The access token a request presents: `Authorization: Bearer <token>`, else `Access-Token`.
/// `get` answers a lower-case header name with its value (the router reads ntex headers, the
/// services `http` ones).
pub fn access_token<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<&'a str> {
    let present = |name: &str| get(name).map(str::trim).filter(|v| !v.is_empty());
    present("authorization")
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
        })
        .filter(|v| !v.is_empty())
        .or_else(|| present("access-token"))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
