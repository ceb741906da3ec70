//! Who is uploading. In order: the router's signed `x-clipfed-caller` header (the router verified
//! the user's tokens at the edge), then a user access token sent straight to this service
//! (`Authorization: Bearer`, `Access-Token`), then, at creation only, the `token` metadata value
//! (for clients that cannot set headers). Tokens are checked locally with the user service's key.

use axum::http::HeaderMap;
use kit::caller::{Caller, CallerKey};
use kit::token::{Kind, TokenError, TokenKeys};

use crate::error::UploadError;

/// The keys that verify callers.
#[derive(Clone)]
pub struct Auth {
    pub tokens: TokenKeys,
    pub callers: CallerKey,
}

impl Auth {
    /// The user behind the request: `Ok(None)` when it carries no credential at all, an error
    /// when a credential is present but does not verify.
    pub fn user(
        &self,
        headers: &HeaderMap,
        metadata_token: Option<&str>,
    ) -> Result<Option<i64>, UploadError> {
        if let Some(value) = header(headers, kit::caller::HEADER) {
            return match self.callers.verify(value) {
                Ok(Caller::User(id)) => Ok(Some(id)),
                Ok(_) => Err(UploadError::forbidden("uploads belong to users")),
                Err(_) => Err(UploadError::unauthenticated(
                    "the caller header does not verify",
                )),
            };
        }
        let bearer = header(headers, "authorization").map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
        });
        let token = bearer
            .or_else(|| header(headers, "access-token"))
            .or(metadata_token.filter(|t| !t.is_empty()));
        let Some(token) = token else {
            return Ok(None);
        };
        match self.tokens.verify(token, Kind::Access) {
            Ok(claims) => claims
                .sub
                .parse()
                .map(Some)
                .map_err(|_| UploadError::unauthenticated("the access token names no user")),
            Err(TokenError::Expired) => Err(UploadError::unauthenticated(
                "the access token has expired; renew it with the refresh token",
            )),
            Err(TokenError::Invalid) => {
                Err(UploadError::unauthenticated("the access token is invalid"))
            }
        }
    }

    /// Like [`Auth::user`], but a credential is required.
    pub fn require_user(
        &self,
        headers: &HeaderMap,
        metadata_token: Option<&str>,
    ) -> Result<i64, UploadError> {
        self.user(headers, metadata_token)?
            .ok_or_else(|| UploadError::unauthenticated("an access token is required"))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
