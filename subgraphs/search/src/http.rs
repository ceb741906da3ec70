//! The service's HTTP routes besides `/graphql` (the router streams them through):
//! - `POST /user/image/search` (west2 U7): a multipart form with one image in `data`; `data` of the
//!   envelope is the URL of the most similar stored image, a bare string. Open to anonymous
//!   visitors, but only as the router forwards them (signed client address): the router holds the
//!   per-client limit on image searches.
//! - `POST /images`: the explicit "index these images" operation (`clipfed images import` uses
//!   it): any number of image files up to `images.max_files`, each stored and indexed; `data.items`
//!   lists every file's outcome in order, so one bad file does not sink the others. Needs a user.
//!
//! Files are read field by field and cut off at `images.max_bytes` with a clear error, so an
//! oversized image is refused without buffering it whole.

use axum::Json;
use axum::Router;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::{Bytes, BytesMut};
use kit::error::Envelope;
use kit::{AppError, ErrorCode};
use serde::Serialize;

use crate::AppState;
use crate::adapters::embed;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/user/image/search", post(image_search))
        .route("/images", post(import))
        // kit's layer enforces http.body_limit; files are cut off at images.max_bytes while read.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn image_search(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let found = async {
        // Anonymous, but only through the router, which limits image searches per client.
        app.credentials.callers.vouched(&headers)?;
        let image = one_image(form, app.images.max_bytes).await?;
        let hits = app.images.search(image, 1).await?;
        hits.into_iter()
            .next()
            .map(|hit| hit.url)
            .ok_or_else(|| AppError::new(ErrorCode::NoImagesIndexed))
    }
    .await;
    match found {
        Ok(url) => Json(Envelope::success(Some(url))).into_response(),
        Err(err) => kit::rest::failure(&err),
    }
}

/// One file's outcome in `POST /images`.
#[derive(Serialize)]
struct Outcome {
    /// The file name the form gave (or `""`).
    name: String,
    code: i32,
    msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Outcomes {
    items: Vec<Outcome>,
    /// Files indexed.
    indexed: usize,
}

async fn import(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let done = async {
        let owner = app.credentials.require_user(&headers, None)?;
        let mut form = multipart(form)?;
        let mut items = Vec::new();
        while let Some(field) = form.next_field().await.map_err(form_error)? {
            if field.file_name().is_none() && field.name() != Some("data") {
                continue;
            }
            if items.len() == app.images.max_files {
                return Err(AppError::with_message(
                    ErrorCode::PayloadTooLarge,
                    format!("at most {} files per request", app.images.max_files),
                ));
            }
            let name = field.file_name().unwrap_or("").to_owned();
            let outcome = match read_file(field, app.images.max_bytes).await {
                Ok(bytes) => app
                    .images
                    .import(bytes, owner)
                    .await
                    .map_err(AppError::from),
                Err(err) if err.code() == ErrorCode::PayloadTooLarge => Err(err),
                Err(err) => return Err(err),
            };
            items.push(match outcome {
                Ok(done) => Outcome {
                    name,
                    code: ErrorCode::Success.code(),
                    msg: ErrorCode::Success.message().into(),
                    id: Some(done.id),
                    url: Some(done.url),
                },
                Err(err) => {
                    // The file's own envelope (which logs an internal cause).
                    let base = err.envelope().base;
                    Outcome {
                        name,
                        code: base.code,
                        msg: base.msg,
                        id: None,
                        url: None,
                    }
                }
            });
        }
        if items.is_empty() {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                "the form has no image file",
            ));
        }
        let indexed = items
            .iter()
            .filter(|o| o.code == ErrorCode::Success.code())
            .count();
        Ok(Outcomes { items, indexed })
    }
    .await;
    match done {
        Ok(outcomes) => Json(Envelope::success(Some(outcomes))).into_response(),
        Err(err) => kit::rest::failure(&err),
    }
}

fn multipart(form: Result<Multipart, MultipartRejection>) -> Result<Multipart, AppError> {
    form.map_err(|e| {
        AppError::with_message(
            ErrorCode::InvalidParameter,
            format!("the body must be a multipart form: {}", e.body_text()),
        )
    })
}

/// The form's `data` file (other fields are ignored).
async fn one_image(
    form: Result<Multipart, MultipartRejection>,
    max_bytes: usize,
) -> Result<Bytes, AppError> {
    let mut form = multipart(form)?;
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        if field.name() == Some("data") {
            return read_file(field, max_bytes).await;
        }
    }
    Err(AppError::with_message(
        ErrorCode::InvalidParameter,
        "the form needs a `data` file field",
    ))
}

/// Reads one file field, stopping as soon as it passes `max_bytes`.
async fn read_file(mut field: Field<'_>, max_bytes: usize) -> Result<Bytes, AppError> {
    let mut out = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(form_error)? {
        if out.len() + chunk.len() > max_bytes {
            return Err(embed::too_large(max_bytes));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

fn form_error(err: MultipartError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::with_message(
            ErrorCode::PayloadTooLarge,
            "the request is larger than the limit",
        )
    } else {
        AppError::with_message(
            ErrorCode::InvalidParameter,
            format!("malformed multipart form: {}", err.body_text()),
        )
    }
}
