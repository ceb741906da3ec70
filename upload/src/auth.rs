//! Who is uploading: kit's [`Credentials`] (router header, then access token, then at creation the
//! `token` metadata value), with failures as tus statuses (401, 403).

use axum::http::HeaderMap;
pub use kit::auth::Credentials;

use crate::error::UploadError;

/// The keys that verify uploaders.
#[derive(Clone)]
pub struct Auth(pub Credentials);

impl Auth {
    /// The user behind the request; `Ok(None)` without any credential.
    pub fn user(
        &self,
        headers: &HeaderMap,
        metadata_token: Option<&str>,
    ) -> Result<Option<i64>, UploadError> {
        self.0
            .user(headers, metadata_token)
            .map_err(UploadError::from)
    }

    /// Like [`Auth::user`], but a credential is required.
    pub fn require_user(
        &self,
        headers: &HeaderMap,
        metadata_token: Option<&str>,
    ) -> Result<i64, UploadError> {
        self.0
            .require_user(headers, metadata_token)
            .map_err(UploadError::from)
    }
}
