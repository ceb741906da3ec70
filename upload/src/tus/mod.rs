//! tus 1.0.0 at `/uploads/`: core (HEAD, PATCH, OPTIONS) and the extensions creation,
//! creation-with-upload, creation-defer-length, termination, checksum, expiration and
//! concatenation, exactly as advertised in `Tus-Extension`. `X-HTTP-Method-Override` lets a
//! client that can only POST send PATCH and DELETE.
//!
//! Statuses: 412 without `Tus-Resumable: 1.0.0`; 415 for a PATCH that is not
//! `application/offset+octet-stream` (and for bytes that are not a video or image); 409 on an
//! offset mismatch; 413 past `Upload-Length` or the size limit; 460 on a checksum mismatch; 423
//! while another request writes the upload; 404 for unknown, expired, terminated or other users'
//! uploads; 401 without a valid token at creation.

mod handlers;
mod headers;

use axum::Router;
use axum::routing::{options, post};

use crate::AppState;

pub use headers::{EXTENSIONS, VERSION};

/// The tus routes.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/uploads",
            post(handlers::create).options(handlers::options),
        )
        .route(
            "/uploads/",
            post(handlers::create).options(handlers::options),
        )
        .route(
            "/uploads/{id}",
            options(handlers::options)
                .head(handlers::head)
                .patch(handlers::patch)
                .delete(handlers::terminate)
                .post(handlers::overridden),
        )
        .with_state(state)
}
