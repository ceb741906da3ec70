//! The west2 one-shot endpoints: `POST /video/publish` (form fields `data`, `title`,
//! `description`) and `PUT /user/avatar/upload` (form field `data`). The file field streams
//! through the same write path as tus (an upload of deferred length, sealed when the field ends),
//! so nothing is buffered whole; fields may come in any order. Answers are the contract's
//! envelope: HTTP 200 with `base.code`, except 413 when the body passes the size limit.

use axum::Json;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use kit::error::Envelope;
use serde_json::{Value, json};

use crate::AppState;
use crate::domain::kind::Kind;
use crate::domain::metadata::{self, Described};
use crate::error::UploadError;
use crate::store::sessions::PLAIN;
use crate::usecases::NewUpload;
use crate::usecases::write::{Append, Written};

/// Text fields are small; a larger one is refused.
const MAX_FIELD: usize = 64 * 1024;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/video/publish", post(publish))
        .route("/user/avatar/upload", put(avatar))
        // The file is streamed: the only size limits are the service's own per kind.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// V2: publishes a video.
async fn publish(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match receive(&app, &headers, form, Kind::Video).await {
        Ok(_) => Json(Envelope::<()>::success(None)).into_response(),
        Err(err) => envelope_error(&err),
    }
}

/// U4: sets the caller's avatar; `data` is the updated User.
async fn avatar(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match receive(&app, &headers, form, Kind::Avatar).await {
        Ok(written) => Json(Envelope::success(written.record.map(rest_user))).into_response(),
        Err(err) => envelope_error(&err),
    }
}

async fn receive(
    app: &AppState,
    headers: &HeaderMap,
    form: Result<Multipart, MultipartRejection>,
    kind: Kind,
) -> Result<Written, UploadError> {
    let owner = app.auth.require_user(headers, None)?;
    let mut form = form.map_err(|e| {
        UploadError::bad_request(format!(
            "the body must be a multipart form: {}",
            e.body_text()
        ))
    })?;
    let mut title = None;
    let mut description = None;
    let mut upload: Option<String> = None;
    let result = async {
        while let Some(field) = form.next_field().await.map_err(form_error)? {
            match field.name().unwrap_or("") {
                "data" if upload.is_none() => {
                    if let Some(name) = field.file_name() {
                        metadata::check_filename(name)?;
                    }
                    let session = app
                        .uploads
                        .create(NewUpload {
                            owner,
                            kind,
                            concat: PLAIN,
                            concat_of: String::new(),
                            length: None,
                            metadata: String::new(),
                            described: Some(Described {
                                kind,
                                title: String::new(),
                                description: String::new(),
                                filename: field.file_name().unwrap_or("").to_owned(),
                            }),
                        })
                        .await?;
                    upload = Some(session.id.clone());
                    let append = Append {
                        id: &session.id,
                        owner: Some(owner),
                        offset: 0,
                        length: None,
                        content_length: None,
                        checksum: None,
                    };
                    app.uploads.append(append, Box::pin(field)).await?;
                }
                "data" => return Err(UploadError::bad_request("send one `data` file")),
                "title" => title = Some(small_text(field).await?),
                "description" => description = Some(small_text(field).await?),
                _ => {}
            }
        }
        let Some(id) = upload.clone() else {
            return Err(UploadError::bad_request(
                "the form needs a `data` file field",
            ));
        };
        let (title, description) = if kind == Kind::Video {
            let title = title.unwrap_or_default().trim().to_owned();
            metadata::check_title(&title)?;
            let description = description.unwrap_or_default().trim().to_owned();
            metadata::check_description(&description)?;
            (title, description)
        } else {
            (String::new(), String::new())
        };
        app.uploads.seal(&id, title, description).await
    }
    .await;
    if result.is_err() {
        // A refused form leaves nothing behind.
        if let Some(id) = upload
            && let Ok(s) = app.uploads.live(&id, None).await
        {
            let _ = app.uploads.discard(&s).await;
        }
    }
    result
}

async fn small_text(field: axum::extract::multipart::Field<'_>) -> Result<String, UploadError> {
    let mut field = field;
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(form_error)? {
        out.extend_from_slice(&chunk);
        if out.len() > MAX_FIELD {
            return Err(UploadError::bad_request("a text field is too long"));
        }
    }
    String::from_utf8(out).map_err(|_| UploadError::bad_request("a text field is not UTF-8"))
}

fn form_error(err: axum::extract::multipart::MultipartError) -> UploadError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::too_large("the request is larger than the limit")
    } else {
        UploadError::bad_request(format!("malformed multipart form: {}", err.body_text()))
    }
}

/// The envelope of a failure: HTTP 200 with the code, 413 where HTTP itself failed.
fn envelope_error(err: &UploadError) -> Response {
    kit::rest::failure(&err.app_error())
}

/// The contract's User from the user subgraph's answer.
fn rest_user(u: Value) -> Value {
    json!({
        "id": u["id"],
        "username": u["username"],
        "avatar_url": u["avatarUrl"],
        "created_at": kit::rest::time(u["createdAt"].as_str()),
        "updated_at": kit::rest::time(u["updatedAt"].as_str()),
        "deleted_at": kit::rest::time(u["deletedAt"].as_str()),
    })
}
