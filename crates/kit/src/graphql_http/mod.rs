//! An axum handler that serves an async-graphql executor per the GraphQL-over-HTTP spec.
//!
//! Why our own: async-graphql-axum 7.2 answers `application/graphql-response+json` to a client that
//! asked for `application/json` and rejects `"extensions": null`, both required by the spec. This
//! handler passes every MUST and SHOULD of the `graphql-http` audit (see `tests/graphql_http_audit.rs`).
//!
//! Pipeline: [`media`] negotiates the response type; [`params`] reads and type-checks the request
//! parameters (GET query string or POST JSON); the document is parsed once (cached in the request);
//! GET may not run mutations; an optional hook adds per-request data (the viewer); the executor runs;
//! [`respond`] picks the status: a malformed request (unparsable JSON, missing or mistyped
//! parameters) is `400`; a document that cannot run (parse or validation failure, variable coercion)
//! is `400` under `application/graphql-response+json` and `200` under `application/json`.

mod media;
mod params;
mod respond;

use std::sync::Arc;
use std::time::Instant;

use async_graphql::Executor;
use async_graphql::parser::types::OperationType;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use http::{Method, StatusCode};
use tracing::Instrument;

use crate::error::{AppError, ErrorCode};
use crate::telemetry::metrics;
pub use media::ResponseType;

/// Adds per-request data (e.g. the verified viewer) to the GraphQL request, or refuses it.
pub type RequestHook = Arc<
    dyn Fn(
            &http::request::Parts,
            async_graphql::Request,
        ) -> Result<async_graphql::Request, AppError>
        + Send
        + Sync,
>;

/// The hook of a subgraph port: attaches the verified [`crate::caller::Caller`] and
/// [`crate::caller::ClientAddr`] of a vouched request
/// ([`crate::caller::CallerVerifier::vouched`]) and refuses any other.
pub fn vouched_hook(verifier: &crate::caller::CallerVerifier) -> RequestHook {
    let verifier = verifier.clone();
    Arc::new(move |parts, request| {
        let (caller, client) = verifier.vouched(&parts.headers)?;
        Ok(request.data(caller).data(client))
    })
}

struct Endpoint<E> {
    executor: E,
    hook: Option<RequestHook>,
    body_limit: usize,
}

/// Serves a subgraph until `shutdown`: `executor` at `/graphql` behind the verified
/// `x-clipfed-caller`/`x-clipfed-client` headers, plus `/healthz`, `/readyz` (running `checks`) and `/metrics`.
pub async fn serve_subgraph<E: Executor>(
    name: &str,
    executor: E,
    callers: &crate::caller::CallerVerifier,
    http: &crate::config::HttpConfig,
    checks: Vec<crate::server::Check>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let routes = axum::Router::new();
    let subgraph = Subgraph {
        name,
        callers,
        http,
        checks,
    };
    serve_subgraph_with(subgraph, executor, routes, listener, shutdown).await
}

/// What [`serve_subgraph_with`] serves besides the executor and its extra routes.
pub struct Subgraph<'a> {
    pub name: &'a str,
    pub callers: &'a crate::caller::CallerVerifier,
    pub http: &'a crate::config::HttpConfig,
    pub checks: Vec<crate::server::Check>,
}

/// [`serve_subgraph`] with the service's own `extra` routes beside `/graphql` (social's `/ws`).
pub async fn serve_subgraph_with<E: Executor>(
    subgraph: Subgraph<'_>,
    executor: E,
    extra: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Subgraph {
        name,
        callers,
        http,
        checks,
    } = subgraph;
    let routes = router(
        "/graphql",
        executor,
        Some(vouched_hook(callers)),
        http.body_limit,
    )
    .merge(extra);
    let served = crate::server::Served {
        name,
        routes,
        checks,
        http,
        graphql_path: Some("/graphql"),
    };
    crate::server::serve_configured(listener, served, shutdown).await
}

/// A subgraph schema's SDL as the router composes it: federation v2, with `@composeDirective`.
pub fn federation_sdl<Q, M, S>(schema: &async_graphql::Schema<Q, M, S>) -> String
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    schema.sdl_with_options(
        async_graphql::SDLExportOptions::new()
            .federation()
            .compose_directive(),
    )
}

/// A router serving `executor` at `path` for GET and POST.
pub fn router<E: Executor>(
    path: &str,
    executor: E,
    hook: Option<RequestHook>,
    body_limit: usize,
) -> Router {
    let endpoint = Arc::new(Endpoint {
        executor,
        hook,
        body_limit,
    });
    Router::new()
        .route(path, get(handle::<E>).post(handle::<E>))
        .with_state(endpoint)
}

async fn handle<E: Executor>(State(endpoint): State<Arc<Endpoint<E>>>, req: Request) -> Response {
    let Some(rtype) = media::negotiate(req.headers()) else {
        return respond::status_only(
            StatusCode::NOT_ACCEPTABLE,
            "accept application/graphql-response+json or application/json",
        );
    };
    let (parts, body) = req.into_parts();
    let raw = match parts.method {
        Method::GET => params::from_query(parts.uri.query().unwrap_or_default()),
        Method::POST => params::from_post(&parts.headers, body, endpoint.body_limit).await,
        _ => return respond::status_only(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST"),
    };
    let mut request = match raw.and_then(params::Params::into_request) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(rtype),
    };
    let op_type = match selected_operation_type(&mut request) {
        Ok(ty) => ty,
        Err(message) => {
            return respond::request_error(
                rtype,
                AppError::with_message(ErrorCode::InvalidParameter, message),
            );
        }
    };
    if parts.method == Method::GET && op_type != OperationType::Query {
        return respond::get_mutation_refused();
    }
    if let Some(hook) = &endpoint.hook {
        request = match hook(&parts, request) {
            Ok(request) => request,
            Err(err) => return respond::request_error(rtype, err),
        };
    }
    let op_name = metric_operation_name(request.operation_name.as_deref());
    let span = tracing::info_span!(
        "graphql.execute",
        graphql.operation.name = %op_name,
        graphql.operation.type = %format_args!("{op_type}"),
    );
    let started = Instant::now();
    let response = endpoint.executor.execute(request).instrument(span).await;
    let red = metrics::red();
    red.graphql_duration
        .with_label_values(&[&op_name])
        .observe(started.elapsed().as_secs_f64());
    let outcome = if response.is_ok() { "ok" } else { "error" };
    red.graphql_operations
        .with_label_values(&[op_name.as_str(), outcome])
        .inc();
    respond::execution(rtype, response)
}

/// The type of the operation the request selects; an error message for unparsable documents or an
/// operation name that selects nothing.
fn selected_operation_type(request: &mut async_graphql::Request) -> Result<OperationType, String> {
    use async_graphql::parser::types::DocumentOperations;
    let name = request.operation_name.clone();
    let doc = request.parsed_query().map_err(|e| e.message)?;
    let op = match (&doc.operations, name.as_deref()) {
        (DocumentOperations::Single(op), None) => Some(op),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        // A lone named operation is stored as "multiple" by the parser.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => {
            return Err(
                "operationName is required when the document has several operations".into(),
            );
        }
    };
    // A named operation that is absent from a one-operation document: let the executor report it.
    Ok(op.map_or(OperationType::Query, |op| op.node.ty))
}

/// Operation names label metrics; keep the label set bounded and printable.
fn metric_operation_name(name: Option<&str>) -> String {
    match name {
        Some(n) if n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            n.to_owned()
        }
        Some(_) => "invalid".to_owned(),
        None => "anonymous".to_owned(),
    }
}
