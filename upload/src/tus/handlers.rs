//! The tus request handlers: read headers, call the engine, answer with tus headers.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::headers::{
    EXTENSIONS, VERSION, check_version, is_offset_stream, number, respond, state_headers, text,
};
use crate::AppState;
use crate::domain::checksum::{ALGORITHMS, Expected};
use crate::domain::kind::Kind;
use crate::domain::metadata;
use crate::error::UploadError;
use crate::store::sessions::{PARTIAL, PLAIN};
use crate::usecases::NewUpload;
use crate::usecases::concat::{Final, partial_ids};
use crate::usecases::write::{Append, Written};

type Answer = Result<Response, UploadError>;

/// OPTIONS: what this server speaks.
pub async fn options(State(app): State<AppState>) -> Response {
    respond(
        StatusCode::NO_CONTENT,
        vec![
            ("tus-version", VERSION.into()),
            ("tus-extension", EXTENSIONS.into()),
            ("tus-max-size", app.uploads.limits.max_size.to_string()),
            ("tus-checksum-algorithm", ALGORITHMS.into()),
        ],
    )
}

/// POST /uploads: creation (with upload, deferred length, or concatenation).
pub async fn create(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
    check_version(&headers)?;
    let meta = metadata::parse(text(&headers, "upload-metadata"))?;
    if meta.raw.len() > app.uploads.limits.max_metadata {
        return Err(UploadError::bad_request("Upload-Metadata is too long"));
    }
    let owner = app.auth.require_user(&headers, meta.token.as_deref())?;
    let concat = text(&headers, "upload-concat");
    if let Some(list) = concat.and_then(|c| c.strip_prefix("final;")) {
        let described = metadata::describe(&meta)?;
        let written = app
            .uploads
            .concatenate(Final {
                owner,
                described,
                metadata: meta.raw.clone(),
                header: concat.unwrap_or_default().to_owned(),
                partials: partial_ids(list),
            })
            .await?;
        return Ok(created(&written));
    }
    let (kind, concat, described) = match concat {
        None => {
            let d = metadata::describe(&meta)?;
            (d.kind, PLAIN, Some(d))
        }
        Some("partial") => (Kind::Partial, PARTIAL, None),
        Some(_) => {
            return Err(UploadError::bad_request(
                "Upload-Concat must be `partial` or `final;<upload URLs>`",
            ));
        }
    };
    let length = number(&headers, "upload-length")?;
    let deferred = match text(&headers, "upload-defer-length") {
        None => false,
        Some("1") => true,
        Some(_) => return Err(UploadError::bad_request("Upload-Defer-Length must be 1")),
    };
    if length.is_some() == deferred {
        return Err(UploadError::bad_request(
            "send exactly one of Upload-Length and Upload-Defer-Length: 1",
        ));
    }
    let checksum = checksum(&headers)?;
    let with_body = is_offset_stream(&headers);
    if let (Some(cl), Some(len)) = (number(&headers, "content-length")?, length)
        && with_body
        && cl > len
    {
        return Err(UploadError::too_large(
            "the body is longer than Upload-Length",
        ));
    }
    let session = app
        .uploads
        .create(NewUpload {
            owner,
            kind,
            concat,
            concat_of: String::new(),
            length,
            metadata: meta.raw.clone(),
            described,
        })
        .await?;
    if !with_body {
        return Ok(created(&Written {
            session,
            record: None,
        }));
    }
    let id = session.id.clone();
    let append = Append {
        id: &id,
        owner: Some(owner),
        offset: 0,
        length: None,
        content_length: number(&headers, "content-length")?.map(|n| n as u64),
        checksum,
    };
    match app.uploads.append(append, body.into_data_stream()).await {
        Ok(written) => Ok(created(&written)),
        Err(err) => {
            // The client never learned the URL: nothing to resume, so nothing is kept.
            if let Ok(s) = app.uploads.live(&id, None).await {
                let _ = app.uploads.discard(&s).await;
            }
            Err(err)
        }
    }
}

fn created(w: &Written) -> Response {
    let mut headers = state_headers(&w.session, false);
    headers.push(("location", format!("/uploads/{}", w.session.id)));
    respond(StatusCode::CREATED, headers)
}

/// HEAD /uploads/{id}: where the upload stands.
pub async fn head(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    check_version(&headers)?;
    let owner = app.auth.user(&headers, None)?;
    let s = app.uploads.live(&id, owner).await?;
    Ok(respond(StatusCode::OK, state_headers(&s, true)))
}

/// PATCH /uploads/{id}: append bytes at `Upload-Offset`.
pub async fn patch(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    check_version(&headers)?;
    if !is_offset_stream(&headers) {
        return Err(UploadError::unsupported_media(
            "PATCH bodies must be Content-Type: application/offset+octet-stream",
        ));
    }
    let offset = number(&headers, "upload-offset")?
        .ok_or_else(|| UploadError::bad_request("Upload-Offset is required"))?;
    let append = Append {
        id: &id,
        owner: app.auth.user(&headers, None)?,
        offset,
        length: number(&headers, "upload-length")?,
        content_length: number(&headers, "content-length")?.map(|n| n as u64),
        checksum: checksum(&headers)?,
    };
    let written = app.uploads.append(append, body.into_data_stream()).await?;
    Ok(respond(
        StatusCode::NO_CONTENT,
        state_headers(&written.session, false),
    ))
}

/// DELETE /uploads/{id}: termination.
pub async fn terminate(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    check_version(&headers)?;
    let owner = app.auth.user(&headers, None)?;
    app.uploads.terminate(&id, owner).await?;
    Ok(respond(StatusCode::NO_CONTENT, Vec::new()))
}

/// POST /uploads/{id} with `X-HTTP-Method-Override: PATCH | DELETE`.
pub async fn overridden(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match text(&headers, "x-http-method-override")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("PATCH") => patch(state, path, headers, body).await.into_response(),
        Some("DELETE") => terminate(state, path, headers).await.into_response(),
        _ => respond(
            StatusCode::METHOD_NOT_ALLOWED,
            vec![("allow", "OPTIONS, HEAD, PATCH, DELETE".into())],
        ),
    }
}

fn checksum(headers: &HeaderMap) -> Result<Option<Expected>, UploadError> {
    text(headers, "upload-checksum")
        .map(|v| Expected::parse(v).map_err(|e| UploadError::bad_request(e.0)))
        .transpose()
}

impl From<String> for UploadError {
    fn from(message: String) -> Self {
        UploadError::bad_request(message)
    }
}
