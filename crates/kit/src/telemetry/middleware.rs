//! HTTP RED middleware: one server span per request (parented on incoming W3C headers) and the
//! request counter + duration histogram labelled by method, matched route and status.
//!
//! Install with `Router::route_layer` so the matched route template (not the raw path) labels the
//! metrics: raw paths would give every id its own time series.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::{metrics, propagation};

/// The middleware function (`axum::middleware::from_fn(red)`).
pub async fn red(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "http.server.request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    propagation::set_parent(&span, propagation::extract_http(req.headers()));
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let red = metrics::red();
    let status = status.to_string();
    red.http_requests
        .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
        .inc();
    red.http_duration
        .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
        .observe(started.elapsed().as_secs_f64());
    response
}
