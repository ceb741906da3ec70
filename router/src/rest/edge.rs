//! The REST glue on the request path: a west2 route's parameters read (query string, then the
//! form body within `form_limit_bytes`), the request rewritten into `POST /graphql` for the router's
//! own pipeline, and the GraphQL answer rendered into the envelope with its token headers.

use hive_router::ntex::http::body::{Body, ResponseBody};
use hive_router::ntex::http::{Payload, Response, StatusCode, header};
use hive_router::ntex::web::{DefaultError, WebRequest};
use hive_router::plugins::hooks::on_http_request::{
    OnHttpRequestHookPayload, OnHttpRequestHookResult,
};
use hive_router::plugins::plugin_trait::{EndHookPayload, StartHookPayload};
use kit::{AppError, ErrorCode};

use super::input::Params;
use super::{output, table};
use crate::auth::Viewer;
use crate::respond;

/// A REST route: refuse early, or rewrite the request into `POST /graphql` and shape the answer.
pub async fn serve<'req>(
    mut payload: OnHttpRequestHookPayload<'req>,
    route: &'static table::Route,
    viewer: Viewer,
    signed: Vec<(&'static str, String)>,
    form_limit_bytes: usize,
) -> OnHttpRequestHookResult<'req> {
    let req = &mut payload.router_http_request;
    let prepared = match super::admit(route, &viewer) {
        Ok(()) => match params(req, form_limit_bytes).await {
            Ok(params) => super::operation(
                route,
                &params,
                |name| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                },
                &viewer,
            ),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    let body = match prepared {
        Ok(op) => serde_json::to_vec(&op).unwrap_or_default(),
        Err(err) => {
            let failure = output::Rendered::failure(&err);
            return payload.end_with_response(envelope(route, failure, &viewer));
        }
    };
    rewrite_to_graphql(req, body);
    respond::set_headers(req, &signed);
    payload.on_end(move |mut end| {
        let rendered = match end.response.take_body() {
            ResponseBody::Body(Body::Bytes(b)) | ResponseBody::Other(Body::Bytes(b)) => {
                output::render(route, &viewer, &b)
            }
            _ => output::Rendered::failure(&AppError::new(ErrorCode::Internal)),
        };
        end.end_with_response(envelope(route, rendered, &viewer))
    })
}

/// The query string, then the body (read whole: REST forms are small, `form_limit_bytes`).
async fn params(
    req: &mut WebRequest<DefaultError>,
    form_limit_bytes: usize,
) -> Result<Params, AppError> {
    let mut params = Params::default();
    params.add_query(req.query_string().as_bytes())?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut payload = req.take_payload();
    let mut body = Vec::new();
    while let Some(chunk) = payload.recv().await {
        let chunk = chunk.map_err(|_| {
            AppError::with_message(ErrorCode::InvalidParameter, "the request body broke off")
        })?;
        if body.len() + chunk.len() > form_limit_bytes {
            drain(&mut payload).await;
            return Err(AppError::with_message(
                ErrorCode::PayloadTooLarge,
                format!("form bodies are limited to {} bytes", form_limit_bytes),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    params.add_body(&content_type, body.into()).await?;
    Ok(params)
}

/// Bytes of an oversized body read and dropped before the 413, and how long that may take: a
/// client still sending when the router answers and closes would see a reset instead of the 413.
const DRAIN_BYTES: usize = 16 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and drops the rest of a refused body, within [`DRAIN_BYTES`] and [`DRAIN_TIME`].
async fn drain(payload: &mut Payload) {
    let rest = async {
        let mut read = 0;
        while let Some(Ok(chunk)) = payload.recv().await {
            read += chunk.len();
            if read > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, rest).await;
}

/// Makes the request a GraphQL POST to `/graphql` carrying `body`.
fn rewrite_to_graphql(req: &mut WebRequest<DefaultError>, body: Vec<u8>) {
    let uri: hive_router::ntex::http::Uri = "/graphql".parse().expect("a valid path");
    let head = req.head_mut();
    head.method = hive_router::ntex::http::Method::POST;
    head.uri = uri.clone();
    req.match_info_mut().set(uri);
    let headers = req.headers_mut();
    headers.remove(header::TRANSFER_ENCODING);
    headers.remove(header::CONTENT_ENCODING);
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCEPT,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        header::HeaderValue::from(body.len()),
    );
    let bytes = hive_router::ntex::util::Bytes::from(body);
    req.set_payload(Payload::from_stream(futures::stream::once(async move {
        Ok::<_, hive_router::ntex::http::error::PayloadError>(bytes)
    })));
}

/// The envelope as an HTTP response: 200, or 413 for a body too large; token headers attached.
/// Counted under the route's id and the envelope's code.
fn envelope(route: &table::Route, rendered: output::Rendered, viewer: &Viewer) -> Response {
    let code = rendered.code;
    crate::metrics::rest_answer(route.id, i64::from(code));
    let too_large = code == ErrorCode::PayloadTooLarge.code();
    let status = if too_large {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::OK
    };
    let mut response = Response::build(status)
        .content_type("application/json")
        .body(rendered.body);
    respond::renewed_header(&mut response, viewer);
    for (name, token) in [
        ("access-token", &rendered.access),
        ("refresh-token", &rendered.refresh),
    ] {
        if let Some(value) = token
            .as_deref()
            .and_then(|t| header::HeaderValue::from_str(t).ok())
        {
            response
                .headers_mut()
                .insert(header::HeaderName::from_static(name), value);
        }
    }
    response
}
