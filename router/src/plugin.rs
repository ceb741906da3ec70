//! The `clipfed` Hive Router plugin: on every request it drops any client-made internal header,
//! settles the viewer ([`crate::auth`]), signs the viewer and the client address for the services,
//! and then either lets `/graphql` through, streams a file route to its service
//! ([`crate::proxy`]), relays the chat WebSocket ([`crate::ws`]), or turns a west2 REST route into a GraphQL request for the router's own
//! pipeline and its answer into the envelope ([`crate::rest`]).

use hive_router::async_trait;
use hive_router::ntex::http::body::{Body, ResponseBody};
use hive_router::ntex::http::{Payload, Response, StatusCode, header};
use hive_router::ntex::web::{DefaultError, WebRequest};
use hive_router::plugins::hooks::on_graphql_analysis::{
    OnGraphqlAnalysisHookPayload, OnGraphqlAnalysisHookResult,
};
use hive_router::plugins::hooks::on_graphql_error::{
    OnGraphQLErrorHookPayload, OnGraphQLErrorHookResult,
};
use hive_router::plugins::hooks::on_graphql_params::{
    OnGraphQLParamsStartHookPayload, OnGraphQLParamsStartHookResult,
};
use hive_router::plugins::hooks::on_graphql_parse::{
    OnGraphQLParseHookResult, OnGraphQLParseStartHookPayload,
};
use hive_router::plugins::hooks::on_http_request::{
    OnHttpRequestHookFuture, OnHttpRequestHookPayload, OnHttpRequestHookResult,
};
use hive_router::plugins::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::plugins::hooks::on_subgraph_http_request::{
    OnSubgraphHttpRequestHookPayload, OnSubgraphHttpRequestHookResult,
};
use hive_router::plugins::plugin_trait::{EndHookPayload, RouterPlugin, StartHookPayload};
use kit::caller::Caller;
use kit::{AppError, ErrorCode};

use crate::auth::{Edge, Presented, Viewer};
use crate::client::{self, Client};
use crate::config::PluginConfig;
use crate::limits::VariableSizes;
use crate::rest::{self, input::Params, output, table};
use crate::throttle::Throttle;

/// Paths the router itself serves.
const ROUTER_PATHS: &[&str] = &["/graphql", "/health", "/readiness", "/metrics", "/"];

pub struct ClipfedPlugin {
    config: PluginConfig,
    edge: Edge,
    http: reqwest::Client,
    throttle: Throttle,
}

#[async_trait]
impl RouterPlugin for ClipfedPlugin {
    type Config = PluginConfig;

    fn plugin_name() -> &'static str {
        "clipfed"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        config.check()?;
        let edge = Edge::new(&config)?;
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            // Below the services' 30 s idle keep-alive close.
            .pool_idle_timeout(std::time::Duration::from_secs(20))
            .build()?;
        let throttle = Throttle::new(config.throttle_limits());
        payload.initialize_plugin(Self {
            config,
            edge,
            http,
            throttle,
        })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(self.handle(payload))
    }

    /// Keeps the sizes of the request's variables for the cost check ([`crate::limits`]): by the
    /// analysis stage Hive Router has moved the variables out of the parameters.
    async fn on_graphql_params<'exec>(
        &'exec self,
        payload: OnGraphQLParamsStartHookPayload<'exec>,
    ) -> OnGraphQLParamsStartHookResult<'exec> {
        payload.on_end(|end| {
            end.context
                .insert(VariableSizes::of(&end.graphql_params.variables));
            end.proceed()
        })
    }

    /// Production: introspection is refused ([`crate::introspection`]).
    async fn on_graphql_parse<'exec>(
        &'exec self,
        payload: OnGraphQLParseStartHookPayload<'exec>,
    ) -> OnGraphQLParseHookResult<'exec> {
        if !self.config.production {
            return payload.proceed();
        }
        let accept = accept(payload.router_http_request.headers).to_owned();
        payload.on_end(move |end| {
            if crate::introspection::asks_for_schema(&end.document) {
                let err = AppError::with_message(
                    ErrorCode::Forbidden,
                    "introspection is off in production",
                );
                end.end_with_response(crate::codes::refusal_response(&err, &accept))
            } else {
                end.proceed()
            }
        })
    }

    /// The cost and once-per-request limits ([`crate::limits`]), before any planning.
    async fn on_graphql_analysis<'exec>(
        &'exec self,
        payload: &mut OnGraphqlAnalysisHookPayload<'exec>,
    ) -> OnGraphqlAnalysisHookResult {
        let operation = payload.filtered_operation_for_plan;
        let sizes = payload.context.get_ref::<VariableSizes>();
        let none = VariableSizes::default();
        let sizes = sizes.as_deref().unwrap_or(&none);
        let checked =
            crate::limits::check(operation, sizes, self.config.max_cost).and_then(
                |()| match payload.context.get_ref::<Client>() {
                    Some(client) => self
                        .throttle
                        .operation(&client, crate::limits::root_fields(operation)),
                    None => Ok(()),
                },
            );
        match checked {
            Ok(()) => OnGraphqlAnalysisHookResult::Proceed,
            Err(err) => {
                let accept = accept(payload.router_http_request.headers);
                OnGraphqlAnalysisHookResult::EndWithResponse(crate::codes::refusal(&err, accept))
            }
        }
    }

    async fn on_subgraph_http_request<'exec>(
        &'exec self,
        payload: OnSubgraphHttpRequestHookPayload<'exec>,
    ) -> OnSubgraphHttpRequestHookResult<'exec> {
        payload.on_end(|mut end| {
            if let Some(body) = crate::codes::codes_to_strings(&end.response.body) {
                end.response.body = body.into();
            }
            end.proceed()
        })
    }

    fn on_graphql_error<'req>(
        &'req self,
        mut payload: OnGraphQLErrorHookPayload<'req>,
    ) -> OnGraphQLErrorHookResult<'req> {
        crate::codes::code_to_number(&mut payload.error);
        payload.proceed()
    }
}

impl ClipfedPlugin {
    async fn handle<'req>(
        &'req self,
        mut payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookResult<'req> {
        let req = &mut payload.router_http_request;
        req.headers_mut().remove(kit::caller::HEADER);
        req.headers_mut().remove(kit::caller::CLIENT_HEADER);
        let path = req.path().to_owned();
        if crate::proxy::has_dot_segment(&path) {
            return payload.end_with_response(plain(
                StatusCode::BAD_REQUEST,
                &AppError::with_message(
                    ErrorCode::InvalidParameter,
                    "paths may not hold `.` or `..` segments",
                ),
            ));
        }
        if matches!(path.as_str(), "/health" | "/readiness" | "/metrics") {
            return payload.proceed();
        }
        let mut presented =
            Presented::read(|name| req.headers().get(name).and_then(|v| v.to_str().ok()));
        if path == crate::ws::PATH && presented.access.is_none() {
            presented.access = crate::ws::query_token(req.query_string());
        }
        let viewer = self.edge.viewer(&presented).await;
        let client = Client {
            user: viewer.id(),
            addr: client::address(
                req.peer_addr().map(|a| a.ip()),
                req.headers()
                    .get_all("x-forwarded-for")
                    .filter_map(|v| v.to_str().ok()),
                &self.config.trusted_proxies,
            ),
        };
        let signed = self.signed(&client, &viewer);
        payload.context.insert(client);

        if path == crate::ws::PATH {
            let response = match rest::need_user(&viewer) {
                Ok(_) => {
                    let social = &self.config.social_url;
                    let session = crate::ws::Session {
                        sid: viewer.sid().unwrap_or_default(),
                        revoked: self.edge.revoked().clone(),
                    };
                    crate::ws::upgrade(social, req, &signed, viewer.renewed(), session).await
                }
                Err(err) => plain(StatusCode::UNAUTHORIZED, &err),
            };
            return payload.end_with_response(response);
        }

        if let Some(base) = crate::proxy::upstream(&self.config, &path) {
            if let Err(err) = self
                .throttle
                .pass_through(&client, req.method().as_str(), &path)
            {
                // tus clients read the status; the west2 file routes answer envelopes with 200.
                let status = if path.starts_with("/uploads") {
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    StatusCode::OK
                };
                return payload.end_with_response(plain(status, &err));
            }
            let mut response = crate::proxy::forward(&self.http, base, req, &signed).await;
            renewed_header(&mut response, &viewer);
            return payload.end_with_response(response);
        }
        let method = req.method().as_str().to_owned();
        match table::lookup(&method, &path) {
            table::Lookup::Found(route) => self.rest(payload, route, viewer, signed).await,
            table::Lookup::WrongMethod => payload.end_with_response(plain(
                StatusCode::METHOD_NOT_ALLOWED,
                &AppError::with_message(
                    ErrorCode::InvalidParameter,
                    "method not allowed on this route",
                ),
            )),
            table::Lookup::NotARoute
                if self.config.production
                    && crate::introspection::wants_ide(&method, accept(req.headers())) =>
            {
                payload.end_with_response(plain(
                    StatusCode::NOT_FOUND,
                    &AppError::with_message(
                        ErrorCode::InvalidParameter,
                        "the GraphQL IDE is off in production",
                    ),
                ))
            }
            table::Lookup::NotARoute if ROUTER_PATHS.contains(&path.as_str()) => {
                set_headers(req, &signed);
                payload.on_end(move |mut end| {
                    if let Some(value) = renewed_value(&viewer) {
                        end.response
                            .headers_mut()
                            .insert(access_token_name(), value);
                    }
                    end.proceed()
                })
            }
            table::Lookup::NotARoute => payload.end_with_response(plain(
                StatusCode::NOT_FOUND,
                &AppError::with_message(ErrorCode::InvalidParameter, "no such route"),
            )),
        }
    }

    /// The internal headers for this request.
    fn signed(&self, client: &Client, viewer: &Viewer) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(2);
        if let Some(id) = viewer.id()
            && let Some(v) = self.edge.sign(&Caller::User(id))
        {
            out.push((kit::caller::HEADER, v));
        }
        if let Some(addr) = client.addr {
            out.push((kit::caller::CLIENT_HEADER, self.edge.sign_client(addr)));
        }
        out
    }

    /// A REST route: refuse early, or rewrite the request into `POST /graphql` and shape the answer.
    async fn rest<'req>(
        &'req self,
        mut payload: OnHttpRequestHookPayload<'req>,
        route: &'static table::Route,
        viewer: Viewer,
        signed: Vec<(&'static str, String)>,
    ) -> OnHttpRequestHookResult<'req> {
        let req = &mut payload.router_http_request;
        let prepared = match rest::admit(route, &viewer) {
            Ok(()) => match self.params(req).await {
                Ok(params) => rest::operation(
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
                return payload
                    .end_with_response(envelope(&output::Rendered::failure(&err), &viewer));
            }
        };
        rewrite_to_graphql(req, body);
        set_headers(req, &signed);
        payload.on_end(move |mut end| {
            let rendered = match end.response.take_body() {
                ResponseBody::Body(Body::Bytes(b)) | ResponseBody::Other(Body::Bytes(b)) => {
                    output::render(route, &viewer, &b)
                }
                _ => output::Rendered::failure(&AppError::new(ErrorCode::Internal)),
            };
            end.end_with_response(envelope(&rendered, &viewer))
        })
    }

    /// The query string, then the body (read whole: REST forms are small, `form_limit_bytes`).
    async fn params(&self, req: &mut WebRequest<DefaultError>) -> Result<Params, AppError> {
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
            if body.len() + chunk.len() > self.config.form_limit_bytes {
                drain(&mut payload).await;
                return Err(AppError::with_message(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "form bodies are limited to {} bytes",
                        self.config.form_limit_bytes
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        params.add_body(&content_type, body.into()).await?;
        Ok(params)
    }
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

fn set_headers(req: &mut WebRequest<DefaultError>, signed: &[(&'static str, String)]) {
    for (name, value) in signed {
        if let Ok(value) = header::HeaderValue::from_str(value) {
            req.headers_mut()
                .insert(header::HeaderName::from_static(name), value);
        }
    }
}

/// A request's `Accept` header ("" when absent or not text).
fn accept(headers: &header::HeaderMap) -> &str {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

pub(crate) fn access_token_name() -> header::HeaderName {
    header::HeaderName::from_static("access-token")
}

/// The `Access-Token` value to send back when the edge renewed the caller's token.
fn renewed_value(viewer: &Viewer) -> Option<header::HeaderValue> {
    viewer
        .renewed()
        .and_then(|token| header::HeaderValue::from_str(token).ok())
}

fn renewed_header(response: &mut Response, viewer: &Viewer) {
    if let Some(value) = renewed_value(viewer) {
        response.headers_mut().insert(access_token_name(), value);
    }
}

/// The envelope as an HTTP response: 200, or 413 for a body too large; token headers attached.
fn envelope(rendered: &output::Rendered, viewer: &Viewer) -> Response {
    let too_large = rendered.envelope["base"]["code"] == ErrorCode::PayloadTooLarge.code();
    let status = if too_large {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::OK
    };
    let mut response = Response::build(status)
        .content_type("application/json")
        .body(serde_json::to_vec(&rendered.envelope).unwrap_or_default());
    renewed_header(&mut response, viewer);
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

/// An HTTP-level failure (404, 405) still written as an envelope, for clients that parse every body.
/// An envelope with an HTTP status of its own (refusals before any route ran).
pub(crate) fn plain(status: StatusCode, err: &AppError) -> Response {
    Response::build(status)
        .content_type("application/json")
        .body(serde_json::to_vec(&err.envelope()).unwrap_or_default())
}
