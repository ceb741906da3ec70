//! Pass-through: the routes whose bodies are files (tus under `/uploads`, `POST /video/publish`,
//! `PUT /user/avatar/upload`, `POST /user/image/search`) go to their service as they are, the body
//! streamed chunk by chunk (a few chunks in flight, never the whole file), with the edge's signed
//! caller and client headers added. Answers of these routes are small and are relayed whole.

use std::io;

use futures::StreamExt;
use hive_router::ntex::http::{Response, StatusCode};
use hive_router::ntex::web::{DefaultError, WebRequest};

use crate::config::PluginConfig;
use crate::discovery::Target;

/// Request headers that belong to one hop, or that the edge sets itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    kit::caller::HEADER,
    kit::caller::CLIENT_HEADER,
];

/// Chunks buffered between the client and the service.
const IN_FLIGHT: usize = 4;

/// Whether `path` holds a `.` or `..` segment, written plainly or percent-encoded. The edge refuses
/// those: the HTTP client would resolve them (`/uploads/../readyz` is `/readyz`) and reach a
/// service route that is not a pass-through route.
pub fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

/// The method a file route takes, when `path` is one and `method` is not it (an HTTP 405, answered
/// at the edge like the REST routes' so that it is an envelope). tus under `/uploads` takes every
/// tus method and answers the others itself.
pub fn wrong_method(path: &str, method: &str) -> Option<&'static str> {
    crate::rest::table::FILE_ROUTES
        .iter()
        .find(|r| r.path == path)
        .and_then(|r| (r.method.as_str() != method).then_some(r.method.as_str()))
}

/// A service the pass-through paths stream to: its name (a metric label and its registry name)
/// and its configured base URL.
pub struct Upstream<'a> {
    pub name: &'static str,
    pub base: &'a str,
}

/// The service a path streams to, if it is a pass-through path.
pub fn upstream<'a>(config: &'a PluginConfig, path: &str) -> Option<Upstream<'a>> {
    let upload = Upstream {
        name: "upload",
        base: &config.upload_url,
    };
    match path {
        "/video/publish" | "/user/avatar/upload" => Some(upload),
        "/user/image/search" => Some(Upstream {
            name: "search",
            base: &config.search_url,
        }),
        p if p == "/uploads" || p.starts_with("/uploads/") => Some(upload),
        _ => None,
    }
}

/// Sends the request to `target`, an instance of `to`'s service chosen by the router's pools, with
/// `extra` headers, and answers with the service's response; at once with UNAVAILABLE when no
/// instance can take it. The outcome goes to the instance's breaker.
pub async fn forward(
    http: &reqwest::Client,
    to: &Upstream<'_>,
    target: Option<&Target>,
    req: &mut WebRequest<DefaultError>,
    extra: &[(&'static str, String)],
) -> Response {
    let Some(target) = target else {
        return unavailable();
    };
    match relay(http, to.name, &target.base, req, extra).await {
        Ok(response) => judge(target, response),
        Err(err) => {
            tracing::warn!(error = %err, upstream = %target.instance, "pass-through failed");
            target.failure();
            unavailable()
        }
    }
}

/// `response` from `target`, its status told to the instance's breaker (a 5xx is a failure).
pub fn judge(target: &Target, response: Response) -> Response {
    if response.status().is_server_error() {
        target.failure();
    } else {
        target.success();
    }
    response
}

/// The answer when no instance of the service behind a pass-through route can take the call.
pub fn unavailable() -> Response {
    let failure = kit::AppError::with_message(
        kit::ErrorCode::Unavailable,
        "the service behind this route is unavailable, retry later",
    );
    crate::respond::plain(StatusCode::BAD_GATEWAY, &failure)
}

async fn relay(
    http: &reqwest::Client,
    service: &'static str,
    base: &str,
    req: &mut WebRequest<DefaultError>,
    extra: &[(&'static str, String)],
) -> Result<Response, reqwest::Error> {
    let mut url = format!("{}{}", base.trim_end_matches('/'), req.path());
    if !req.query_string().is_empty() {
        url = format!("{url}?{}", req.query_string());
    }
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut out = http.request(method, url);
    let mut has_body = false;
    for (name, value) in req.headers().iter() {
        let name = name.as_str();
        if HOP_BY_HOP.contains(&name) {
            has_body |= name == "transfer-encoding";
            continue;
        }
        if name == "content-length" {
            has_body |= value.as_bytes() != b"0";
        }
        out = out.header(name, value.as_bytes());
    }
    for (name, value) in extra {
        out = out.header(*name, value.as_str());
    }
    if has_body {
        out = out.body(stream_body(req, service));
    }
    let answer = out.send().await?;
    let mut response = Response::build(
        StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY),
    );
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name.as_str() != "content-length" {
            response.header(name.as_str(), value.as_bytes());
        }
    }
    let body = answer.bytes().await?;
    crate::metrics::passthrough(service, "response", body.len() as u64);
    Ok(response.body(body.to_vec()))
}

/// The request body as a stream the HTTP client can own: a local task moves chunks across a
/// bounded channel, so a slow service slows the client down instead of filling memory.
/// Counted as `request` bytes to `service`.
fn stream_body(req: &mut WebRequest<DefaultError>, service: &'static str) -> reqwest::Body {
    let mut payload = req.take_payload();
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<bytes::Bytes>>(IN_FLIGHT);
    hive_router::ntex::rt::spawn(async move {
        while let Some(chunk) = payload.recv().await {
            let item = chunk
                .map(|b| bytes::Bytes::copy_from_slice(&b))
                .map_err(|e| io::Error::other(e.to_string()));
            if let Ok(bytes) = &item {
                crate::metrics::passthrough(service, "request", bytes.len() as u64);
            }
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
    });
    let chunks = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    reqwest::Body::wrap_stream(chunks.boxed())
}

#[cfg(test)]
mod tests {
    use super::has_dot_segment;

    #[test]
    fn dot_segments_are_found_plain_or_percent_encoded() {
        for path in [
            "/uploads/../readyz",
            "/uploads/%2e%2E/x",
            "/uploads/.",
            "/a/.%2e/b",
            "/./x",
        ] {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in [
            "/uploads/abc",
            "/uploads/a.b",
            "/uploads/...",
            "/video/feed",
            "/",
        ] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }
}
