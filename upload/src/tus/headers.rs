//! Reading tus request headers and writing tus responses.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;

use crate::error::UploadError;
use crate::store::sessions::Session;
use crate::usecases::concat::concat_header;

pub const VERSION: &str = "1.0.0";
/// Exactly what is implemented.
pub const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration,concatenation";
pub const OFFSET_STREAM: &str = "application/offset+octet-stream";

/// A header as text (absent, empty or not visible ASCII: `None`).
pub fn text<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// A non-negative integer header; present but malformed is a 400.
pub fn number(h: &HeaderMap, name: &str) -> Result<Option<i64>, UploadError> {
    match text(h, name) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(UploadError::bad_request(format!(
                "{name} must be a non-negative integer"
            ))),
        },
    }
}

/// Every request but OPTIONS must speak tus 1.0.0.
pub fn check_version(h: &HeaderMap) -> Result<(), UploadError> {
    match text(h, "tus-resumable") {
        Some(VERSION) => Ok(()),
        Some(_) => Err(UploadError::precondition(
            "unsupported tus version; this server speaks 1.0.0",
        )),
        None => Err(UploadError::precondition(
            "Tus-Resumable: 1.0.0 is required",
        )),
    }
}

/// Whether the request's content type is tus' byte stream.
pub fn is_offset_stream(h: &HeaderMap) -> bool {
    text(h, "content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_STREAM))
}

/// A response with `Tus-Resumable` and the given headers.
pub fn respond(status: StatusCode, headers: Vec<(&'static str, String)>) -> Response {
    let mut res = status.into_response();
    let map = res.headers_mut();
    map.insert("tus-resumable", HeaderValue::from_static(VERSION));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            map.insert(HeaderName::from_static(name), v);
        }
    }
    res
}

/// RFC 7231 date, as `Upload-Expires` wants.
pub fn http_date(at: NaiveDateTime) -> String {
    at.and_utc().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The headers that describe an upload's state (HEAD, and PATCH/creation answers).
pub fn state_headers(s: &Session, with_metadata: bool) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("upload-offset", s.reported_offset().to_string()),
        ("upload-expires", http_date(s.expires_at)),
    ];
    if with_metadata {
        match s.length {
            Some(l) => h.push(("upload-length", l.to_string())),
            None => h.push(("upload-defer-length", "1".into())),
        }
        if !s.metadata.is_empty() {
            h.push(("upload-metadata", s.metadata.clone()));
        }
        if let Some(c) = concat_header(s) {
            h.push(("upload-concat", c));
        }
        h.push(("cache-control", "no-store".into()));
    }
    h
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        self.log();
        let mut headers = vec![("content-type", "text/plain; charset=utf-8".to_owned())];
        if let Some(secs) = self.retry_after {
            headers.push(("retry-after", secs.to_string()));
        }
        if self.status == StatusCode::PRECONDITION_FAILED {
            headers.push(("tus-version", VERSION.to_owned()));
        }
        let mut res = respond(self.status, headers);
        *res.body_mut() = axum::body::Body::from(format!("{}\n", self.message));
        res
    }
}
