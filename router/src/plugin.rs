//! The `clipfed` Hive Router plugin, a dispatcher: on every request it drops any client-made
//! internal header, settles the viewer ([`crate::auth`]), signs the viewer and the client address
//! for the services, and then either lets `/graphql` through, streams a file route to its service
//! ([`crate::proxy`]), relays the chat WebSocket ([`crate::ws`]), or hands a west2 REST route to
//! the REST glue ([`crate::rest::edge`]). Its GraphQL hooks apply the limits ([`crate::limits`],
//! [`crate::throttle`]) and carry the error codes ([`crate::codes`]). Responses it writes itself
//! come from [`crate::respond`].

use hive_router::async_trait;
use hive_router::ntex::http::{Method, StatusCode};
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
use crate::respond::{
    accept, access_token_name, plain, renewed_header, renewed_value, set_headers,
};
use crate::rest::{self, table};
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
        if path == rest::openapi::PATH && req.method() == Method::GET {
            return payload.end_with_response(crate::respond::json(rest::openapi::served()));
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

        if let Some(allow) = crate::proxy::wrong_method(&path, req.method().as_str()) {
            return payload.end_with_response(crate::respond::method_not_allowed(allow));
        }
        if let Some(to) = crate::proxy::upstream(&self.config, &path) {
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
            let mut response = crate::proxy::forward(&self.http, &to, req, &signed).await;
            renewed_header(&mut response, &viewer);
            return payload.end_with_response(response);
        }
        let method = req.method().as_str().to_owned();
        match table::lookup(&method, &path) {
            table::Lookup::Found(route) => {
                rest::edge::serve(payload, route, viewer, signed, self.config.form_limit_bytes)
                    .await
            }
            table::Lookup::WrongMethod(allow) => {
                payload.end_with_response(crate::respond::method_not_allowed(&allow))
            }
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
}
