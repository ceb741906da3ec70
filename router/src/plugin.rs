//! The `clipfed` Hive Router plugin, a dispatcher: on every request it drops any client-made
//! internal header, settles the viewer ([`crate::auth`]), signs the viewer and the client address
//! for the services, and then either lets `/graphql` through, streams a file route to its service
//! ([`crate::proxy`]), relays the chat WebSocket ([`crate::ws`]), or hands a west2 REST route to
//! the REST glue ([`crate::rest::edge`]). Its GraphQL hooks apply the limits ([`crate::limits`],
//! [`crate::throttle`]) and carry the error codes ([`crate::codes`]). Responses it writes itself
//! come from [`crate::respond`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hive_router::async_trait;
use hive_router::executor::executors::common::SubgraphExecutorBoxedArc;
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
use hive_router::plugins::hooks::on_subgraph_execute::{
    OnSubgraphExecuteStartHookPayload, OnSubgraphExecuteStartHookResult,
};
use hive_router::plugins::hooks::on_subgraph_http_request::{
    OnSubgraphHttpRequestHookPayload, OnSubgraphHttpRequestHookResult,
};
use hive_router::plugins::plugin_trait::{EndHookPayload, RouterPlugin, StartHookPayload};
use kit::caller::Caller;
use kit::{AppError, ErrorCode};

use crate::auth::{Edge, Presented, Viewer};
use crate::client::{self, Client};
use crate::config::PluginConfig;
use crate::discovery::executor::{Balanced, Executors};
use crate::discovery::{Configured, Pools};
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
    pools: Arc<Pools>,
    executors: Arc<Executors>,
    /// Per subgraph: Hive's executor for the configured URL, and the balancing one around it.
    balanced: Mutex<HashMap<String, (SubgraphExecutorBoxedArc, SubgraphExecutorBoxedArc)>>,
}

#[async_trait]
impl RouterPlugin for ClipfedPlugin {
    type Config = PluginConfig;

    fn plugin_name() -> &'static str {
        "clipfed"
    }

    fn on_plugin_init(mut payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        config.check()?;
        let edge = Edge::new(&config)?;
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            // Below the services' 30 s idle keep-alive close.
            .pool_idle_timeout(std::time::Duration::from_secs(20))
            .build()?;
        let throttle = Throttle::new(config.throttle_limits());
        let pools = Arc::new(Pools::new(
            kit::registry::Directory::new(),
            crate::discovery::breaker::Rules::default(),
        ));
        if let Some(follow) = crate::discovery::follow::Follow::new(&config, &pools)? {
            payload.register_background_task(follow);
        }
        let executors = Arc::new(Executors::new(payload.router_config())?);
        payload.initialize_plugin(Self {
            config,
            edge,
            http,
            throttle,
            pools,
            executors,
            balanced: Mutex::default(),
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
        mut payload: OnSubgraphHttpRequestHookPayload<'exec>,
    ) -> OnSubgraphHttpRequestHookResult<'exec> {
        // Before Hive Router hashes the body for its in-flight dedupe ([`crate::dedupe`]).
        if let Some(body) = crate::dedupe::canonical(&payload.body) {
            payload.body = body;
        }
        payload.on_end(|mut end| {
            if let Some(body) = crate::codes::codes_to_strings(&end.response.body) {
                end.response.body = body.into();
            }
            end.proceed()
        })
    }

    /// Every subgraph call goes through the balancing executor ([`crate::discovery::executor`]).
    async fn on_subgraph_execute<'exec>(
        &'exec self,
        mut payload: OnSubgraphExecuteStartHookPayload<'exec>,
    ) -> OnSubgraphExecuteStartHookResult<'exec> {
        payload.executor = self.balanced(payload.subgraph_name, &payload.executor);
        payload.proceed()
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
                Ok(_) => match self.instance("social", &self.config.social_url) {
                    Some(social) => {
                        let session = crate::ws::Session {
                            sid: viewer.sid().unwrap_or_default(),
                            revoked: self.edge.revoked().clone(),
                        };
                        let response = crate::ws::upgrade(
                            &social.base,
                            req,
                            &signed,
                            viewer.renewed(),
                            session,
                        )
                        .await;
                        crate::proxy::judge(&social, response)
                    }
                    None => crate::proxy::unavailable(),
                },
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
            let target = self.instance(to.name, to.base);
            let mut response =
                crate::proxy::forward(&self.http, &to, target.as_ref(), req, &signed).await;
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

    /// The next instance of `service` for a pass-through call (`configured`: its URL in
    /// `router.config.yaml`, used when the registry lists none); `None` when every breaker is open.
    fn instance(&self, service: &str, configured: &str) -> Option<crate::discovery::Target> {
        let configured = Configured {
            base: configured,
            graphql: None,
        };
        self.pools.choose(service, &configured, &[])
    }

    /// The balancing executor for `subgraph` around Hive's executor `configured` (made once, and
    /// again only when Hive's executor changes with a new supergraph).
    fn balanced(
        &self,
        subgraph: &str,
        configured: &SubgraphExecutorBoxedArc,
    ) -> SubgraphExecutorBoxedArc {
        let mut cache = self.balanced.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((wrapped, balanced)) = cache.get(subgraph)
            && Arc::ptr_eq(wrapped, configured)
        {
            return Arc::clone(balanced);
        }
        let balanced: SubgraphExecutorBoxedArc = Arc::new(Box::new(Balanced::new(
            subgraph,
            Arc::clone(configured),
            Arc::clone(&self.pools),
            Arc::clone(&self.executors),
        )));
        cache.insert(
            subgraph.to_owned(),
            (Arc::clone(configured), Arc::clone(&balanced)),
        );
        balanced
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
