//! Building HTTP responses: status by response type and outcome, JSON bodies, content types.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use super::media::ResponseType;
use crate::error::{AppError, ErrorCode};

fn json_response(
    status: StatusCode,
    rtype: ResponseType,
    body: &impl serde::Serialize,
) -> Response {
    let bytes = serde_json::to_vec(body)
        .unwrap_or_else(|_| b"{\"errors\":[{\"message\":\"internal error\"}]}".to_vec());
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rtype.content_type()),
    );
    response
}

fn error_body(err: &AppError) -> serde_json::Value {
    let code = err.code();
    json!({"errors": [{
        "message": err.message(),
        "extensions": {"code": code.code(), "name": code.name()},
    }]})
}

/// Not a well-formed GraphQL-over-HTTP request (unparsable JSON, missing or mistyped parameters):
/// 400 whatever the response type, with an `errors` body in that type.
pub fn malformed(rtype: ResponseType, err: AppError) -> Response {
    json_response(StatusCode::BAD_REQUEST, rtype, &error_body(&err))
}

/// A well-formed request whose document cannot run (parse or validation failure, variable coercion,
/// refused by the request hook): no `data` entry; 400 under graphql-response+json, 200 under json.
pub fn request_error(rtype: ResponseType, err: AppError) -> Response {
    json_response(request_error_status(rtype), rtype, &error_body(&err))
}

fn request_error_status(rtype: ResponseType) -> StatusCode {
    match rtype {
        ResponseType::GraphQlResponse => StatusCode::BAD_REQUEST,
        ResponseType::Json => StatusCode::OK,
    }
}

/// The executor's answer. Errors raised before execution (document validation) carry no `path` and
/// leave `data` null: those are request errors and are rendered without `data`.
///
/// Every error our resolvers raise carries a code (`AppError` is the only way out of them); errors
/// without one come from async-graphql itself rejecting the client's input (validation, variable
/// coercion, argument parsing) and are marked `INVALID_PARAMETER`.
pub fn execution(rtype: ResponseType, mut response: async_graphql::Response) -> Response {
    for error in &mut response.errors {
        mark_invalid_parameter(error);
    }
    let before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if before_execution {
        let body = json!({"errors": response.errors});
        return json_response(request_error_status(rtype), rtype, &body);
    }
    json_response(StatusCode::OK, rtype, &response)
}

/// Gives an uncoded error (async-graphql refusing the client's input: a wrong type, an unknown
/// field, a missing argument) the `INVALID_PARAMETER` row of the table.
fn mark_invalid_parameter(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let code = ErrorCode::InvalidParameter;
        extensions.set("code", code.code());
        extensions.set("name", code.name());
    }
}

/// An HTTP-level failure with a short text body.
pub fn status_only(status: StatusCode, message: &'static str) -> Response {
    let mut response = (status, message).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    }
    response
}

/// A mutation sent with GET: 405, only POST may change state.
pub fn get_mutation_refused() -> Response {
    let mut response = (StatusCode::METHOD_NOT_ALLOWED, "mutations need POST").into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}
