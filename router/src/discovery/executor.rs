//! The subgraph executor the plugin puts in place of Hive Router's own for every subgraph call
//! (`on_subgraph_execute`): [`Balanced`] picks an instance ([`super::Pools::choose`]) and runs the
//! call on Hive's own HTTP executor for that instance's URL ([`Executors`]), so Hive's request
//! building, header propagation, dedupe, compression and client spans all stay.
//!
//! A call that fails for the instance's reasons is retried on the next instance when that is
//! safe: always when no connection was made (nothing reached the service), and for queries (never
//! mutations) after a reset, a timeout or a 5xx, within the retry budget. When no instance can
//! take the call (every breaker open), it answers at once with a GraphQL error coded
//! UNAVAILABLE for this subgraph's part of the plan; the other subgraphs' parts still answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hive_router::async_trait;
use hive_router::config::traffic_shaping::TrafficShapingConfig;
use hive_router::executor::executors::common::{
    SubgraphExecutionRequest, SubgraphExecutor, SubgraphExecutorBoxedArc,
};
use hive_router::executor::executors::error::SubgraphExecutorError;
use hive_router::executor::executors::http::{HTTPSubgraphExecutor, HttpClient};
use hive_router::executor::executors::map::InflightRequestsMap;
use hive_router::executor::plugin_context::PluginRequestState;
use hive_router::executor::response::subgraph_response::SubgraphResponse;
use hive_router::telemetry::TelemetryContext;
use hive_router::{GraphQLError, http};
use tokio::sync::Semaphore;

use super::{Configured, Pools, Target};

/// Hive Router's HTTP executors, one per instance URL, built on first use and kept.
pub struct Executors {
    client: Arc<HttpClient>,
    inflight: InflightRequestsMap,
    telemetry: Arc<TelemetryContext>,
    traffic: TrafficShapingConfig,
    buffer_capacity: usize,
    built: Mutex<HashMap<String, SubgraphExecutorBoxedArc>>,
}

impl Executors {
    /// Executors configured as Hive configures its own (`traffic_shaping`, tracing propagation).
    pub fn new(
        config: &hive_router::config::HiveRouterConfig,
    ) -> Result<Self, SubgraphExecutorError> {
        use hyper_util::rt::{TokioExecutor, TokioTimer};
        let traffic = config.traffic_shaping.clone();
        let mut builder = hyper_util::client::legacy::Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(traffic.all.pool_idle_timeout)
            .pool_max_idle_per_host(traffic.max_connections_per_host);
        let connector =
            hive_router::executor::executors::tls::build_https_connector(traffic.all.tls.as_ref())?;
        let client: HttpClient = builder.build(connector);
        // The meter Hive Router installed globally (telemetry starts before plugins do), under
        // its own scope, so these executors' client metrics join Hive's series.
        let meter = opentelemetry::global::meter_provider()
            .meter_with_scope(hive_router::telemetry::build_scope());
        let telemetry = TelemetryContext::from_propagation_config_with_meter(
            &config.telemetry.tracing.propagation,
            &config.log,
            Some(meter),
            false,
        );
        Ok(Self {
            client: Arc::new(client),
            inflight: InflightRequestsMap::default(),
            telemetry: Arc::new(telemetry),
            traffic,
            buffer_capacity: config.subscriptions.subgraph_buffer_capacity,
            built: Mutex::default(),
        })
    }

    /// The executor of `subgraph` at `url`.
    fn get(
        &self,
        subgraph: &str,
        url: &str,
    ) -> Result<SubgraphExecutorBoxedArc, SubgraphExecutorError> {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(executor) = built.get(url) {
            return Ok(Arc::clone(executor));
        }
        let endpoint: http::Uri = url
            .parse()
            .map_err(|e| SubgraphExecutorError::EndpointParseFailure(url.to_owned(), e))?;
        let per_subgraph = self.traffic.subgraphs.get(subgraph);
        let compression = per_subgraph
            .and_then(|s| s.compression.clone())
            .unwrap_or_else(|| self.traffic.all.compression.clone());
        let dedupe = per_subgraph
            .and_then(|s| s.dedupe_enabled)
            .unwrap_or(self.traffic.all.dedupe_enabled);
        let executor = HTTPSubgraphExecutor::new(
            subgraph.to_owned(),
            endpoint,
            Arc::clone(&self.client),
            // Connections per instance, as Hive limits them per origin.
            Arc::new(Semaphore::new(self.traffic.max_connections_per_host)),
            dedupe,
            self.inflight.clone(),
            Arc::clone(&self.telemetry),
            self.buffer_capacity,
            compression.request,
            compression.response.accept_encoding,
        )
        .to_boxed_arc();
        built.insert(url.to_owned(), Arc::clone(&executor));
        Ok(executor)
    }
}

/// One subgraph's calls, balanced over its instances. `configured` is Hive's executor for the
/// URL in `router.config.yaml`, used when the registry lists no instance.
pub struct Balanced {
    subgraph: String,
    configured: SubgraphExecutorBoxedArc,
    configured_url: String,
    pools: Arc<Pools>,
    executors: Arc<Executors>,
}

impl Balanced {
    pub fn new(
        subgraph: &str,
        configured: SubgraphExecutorBoxedArc,
        pools: Arc<Pools>,
        executors: Arc<Executors>,
    ) -> Self {
        let configured_url = configured.endpoint().to_string();
        Self {
            subgraph: subgraph.to_owned(),
            configured,
            configured_url,
            pools,
            executors,
        }
    }

    fn executor_for(
        &self,
        target: &Target,
    ) -> Result<SubgraphExecutorBoxedArc, SubgraphExecutorError> {
        if target.configured {
            Ok(Arc::clone(&self.configured))
        } else {
            self.executors.get(&self.subgraph, &target.graphql)
        }
    }
}

/// What one attempt says about the instance.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Answered,
    /// The instance failed; `retry` when sending the call elsewhere is safe.
    Failed {
        retry: bool,
    },
    /// Not the instance's doing (the request could not be built): returned as it is.
    NotInstance,
}

fn judge(
    result: &Result<SubgraphResponse<'static>, SubgraphExecutorError>,
    mutation: bool,
) -> Verdict {
    use SubgraphExecutorError as E;
    match result {
        Ok(answer) if answer.status.is_some_and(|s| s.is_server_error()) => {
            Verdict::Failed { retry: !mutation }
        }
        Ok(_) => Verdict::Answered,
        // No connection: the service never saw the call, so even a mutation may go elsewhere.
        Err(E::RequestFailure(err)) if err.is_connect() => Verdict::Failed { retry: true },
        Err(
            E::RequestFailure(_)
            | E::ResponseFailure(_)
            | E::RequestTimeout(_)
            | E::ResponseBodyReadFailure(..)
            | E::EmptyResponseBody(..),
        ) => Verdict::Failed { retry: !mutation },
        Err(_) => Verdict::NotInstance,
    }
}

/// Whether the subgraph operation Hive wrote is a mutation (the only kind never retried after
/// it may have reached a service).
fn is_mutation(query: &str) -> bool {
    query.trim_start().starts_with("mutation")
}

/// A second copy of a call, for a retry.
fn copy<'a>(r: &SubgraphExecutionRequest<'a>) -> SubgraphExecutionRequest<'a> {
    SubgraphExecutionRequest {
        query: r.query,
        document_name_write_pos: r.document_name_write_pos,
        dedupe: r.dedupe,
        operation_name: r.operation_name.clone(),
        variables: r.variables.clone(),
        headers: r.headers.clone(),
        raw_variable_values: r.raw_variable_values.clone(),
        extensions: r.extensions.clone(),
        custom_scalar_paths: r.custom_scalar_paths,
        connection_fingerprint: r.connection_fingerprint,
    }
}

/// The answer for a subgraph that no instance can serve: UNAVAILABLE, for its part of the plan.
/// `status` 503 when instances were tried and failed (Hive's own per-subgraph breaker counts
/// it); none when every breaker was already open (nothing was tried).
fn unavailable(subgraph: &str, status: Option<http::StatusCode>) -> SubgraphResponse<'static> {
    let err = kit::AppError::with_message(
        kit::ErrorCode::Unavailable,
        format!("the {subgraph} service is unavailable, retry later"),
    );
    let error = GraphQLError::from_message_and_code(err.message(), err.code().code().to_string());
    SubgraphResponse {
        errors: Some(vec![error]),
        status,
        ..Default::default()
    }
}

#[async_trait]
impl SubgraphExecutor for Balanced {
    fn executor_name(&self) -> &str {
        "clipfed-balanced"
    }

    fn endpoint(&self) -> &http::Uri {
        self.configured.endpoint()
    }

    async fn execute<'a>(
        &self,
        execution_request: SubgraphExecutionRequest<'a>,
        timeout: Option<Duration>,
        plugin_req_state: Option<&'a PluginRequestState<'a>>,
    ) -> Result<SubgraphResponse<'static>, SubgraphExecutorError> {
        let mutation = is_mutation(execution_request.query);
        let configured = Configured {
            base: self
                .configured_url
                .strip_suffix("/graphql")
                .unwrap_or(&self.configured_url),
            graphql: Some(&self.configured_url),
        };
        self.pools.budget().deposit();
        let mut tried: Vec<String> = Vec::new();
        let mut request = execution_request;
        loop {
            let Some(target) = self.pools.choose(&self.subgraph, &configured, &tried) else {
                let status = (!tried.is_empty()).then_some(http::StatusCode::SERVICE_UNAVAILABLE);
                return Ok(unavailable(&self.subgraph, status));
            };
            let executor = self.executor_for(&target)?;
            // A second copy only when another instance could take a retry (copying clones the
            // headers and variables).
            let spare = (tried.len() + 1 < self.pools.size(&self.subgraph)).then(|| copy(&request));
            let result = executor.execute(request, timeout, plugin_req_state).await;
            match judge(&result, mutation) {
                Verdict::Answered => {
                    target.success();
                    return result;
                }
                Verdict::NotInstance => return result,
                Verdict::Failed { retry } => {
                    target.failure();
                    if let Err(err) = &result {
                        tracing::warn!(subgraph = %self.subgraph, instance = %target.instance, error = %err, "subgraph call failed");
                    }
                    let spare = spare.filter(|_| retry && self.pools.budget().withdraw());
                    let Some(spare) = spare else {
                        return Ok(match result {
                            Ok(answer) => answer,
                            Err(_) => unavailable(
                                &self.subgraph,
                                Some(http::StatusCode::SERVICE_UNAVAILABLE),
                            ),
                        });
                    };
                    tried.push(target.base);
                    request = spare;
                }
            }
        }
    }

    async fn subscribe<'a>(
        &self,
        execution_request: SubgraphExecutionRequest<'a>,
        timeout: Option<Duration>,
    ) -> Result<
        futures::stream::BoxStream<
            'static,
            Result<SubgraphResponse<'static>, SubgraphExecutorError>,
        >,
        SubgraphExecutorError,
    > {
        // clipfed's schema has no subscriptions (chat is its own WebSocket).
        self.configured.subscribe(execution_request, timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_told_from_queries() {
        assert!(is_mutation("mutation{like(videoId:\"1\")}"));
        assert!(is_mutation("  mutation($a:ID!){x(a:$a)}"));
        assert!(!is_mutation("query($representations:[_Any!]!){_entities}"));
        assert!(!is_mutation("{feed{id}}"));
    }

    #[test]
    fn failures_are_retried_only_when_safe() {
        let timeout = tokio_timeout_error();
        assert_eq!(
            judge(&Err(timeout), true),
            Verdict::Failed { retry: false },
            "a mutation that may have run is not sent twice"
        );
        assert_eq!(
            judge(&Err(tokio_timeout_error()), false),
            Verdict::Failed { retry: true }
        );
        let five_hundred = SubgraphResponse {
            status: Some(http::StatusCode::BAD_GATEWAY),
            ..Default::default()
        };
        assert_eq!(
            judge(&Ok(five_hundred), false),
            Verdict::Failed { retry: true }
        );
        assert_eq!(
            judge(&Ok(SubgraphResponse::default()), true),
            Verdict::Answered
        );
        assert_eq!(
            judge(&Err(SubgraphExecutorError::MalformedResponse(None)), false),
            Verdict::NotInstance
        );
        let answer = unavailable("video", None);
        let code = answer.errors.unwrap()[0].extensions.code.clone();
        assert_eq!(code.as_deref(), Some("10009"));
    }

    fn tokio_timeout_error() -> SubgraphExecutorError {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // The timer is made inside the runtime: it needs its time driver.
        let elapsed = rt
            .block_on(async {
                tokio::time::timeout(Duration::ZERO, std::future::pending::<()>()).await
            })
            .unwrap_err();
        SubgraphExecutorError::RequestTimeout(elapsed)
    }
}
