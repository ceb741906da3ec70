//! Responses the plugin writes itself, shared by the dispatcher, the REST glue, the pass-through
//! and the WebSocket relay: envelopes with a status of their own, the renewed `Access-Token`
//! header, the signed internal headers on a forwarded request, the `Accept` header.

use hive_router::ntex::http::{Response, StatusCode, header};
use hive_router::ntex::web::{DefaultError, WebRequest};
use kit::AppError;

use crate::auth::Viewer;

/// An envelope with an HTTP status of its own: refusals before any route ran, and HTTP-level
/// failures (404, 405) still written as envelopes, for clients that parse every body.
pub fn plain(status: StatusCode, err: &AppError) -> Response {
    Response::build(status)
        .content_type("application/json")
        .body(serde_json::to_vec(&err.envelope()).unwrap_or_default())
}

/// HTTP 405 for a route that takes only the methods `allow` (the `Allow` header), as an envelope.
pub fn method_not_allowed(allow: &str) -> Response {
    let mut response = plain(
        StatusCode::METHOD_NOT_ALLOWED,
        &AppError::with_message(
            kit::ErrorCode::InvalidParameter,
            "method not allowed on this route",
        ),
    );
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A JSON document served as it is (the OpenAPI document).
pub fn json(body: &'static [u8]) -> Response {
    Response::build(StatusCode::OK)
        .content_type("application/json")
        .body(body)
}

/// `Access-Token`, the header a renewed access token comes back in.
pub fn access_token_name() -> header::HeaderName {
    header::HeaderName::from_static("access-token")
}

/// The `Access-Token` value to send back when the edge renewed the caller's token.
pub fn renewed_value(viewer: &Viewer) -> Option<header::HeaderValue> {
    viewer
        .renewed()
        .and_then(|token| header::HeaderValue::from_str(token).ok())
}

/// Adds the renewed `Access-Token` to `response`, if the edge renewed it.
pub fn renewed_header(response: &mut Response, viewer: &Viewer) {
    if let Some(value) = renewed_value(viewer) {
        response.headers_mut().insert(access_token_name(), value);
    }
}

/// Puts the signed internal headers on a request the router forwards.
pub fn set_headers(req: &mut WebRequest<DefaultError>, signed: &[(&'static str, String)]) {
    for (name, value) in signed {
        if let Ok(value) = header::HeaderValue::from_str(value) {
            req.headers_mut()
                .insert(header::HeaderName::from_static(name), value);
        }
    }
}

/// A request's `Accept` header ("" when absent or not text).
pub fn accept(headers: &header::HeaderMap) -> &str {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
