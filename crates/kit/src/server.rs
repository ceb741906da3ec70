//! Serving a service: RED middleware on its routes, `/healthz` (alive), `/readyz` (dependencies
//! reachable; a failed one is named, its error text only logged), `/metrics`, a request body limit, and graceful shutdown that drains in-flight
//! requests for a bounded grace period.
//!
//! Shutdown is a parameter (`impl Future`), so tests bind port 0 and stop the server when they like;
//! binaries pass [`shutdown_signal`]. Request heads must arrive within [`Timeouts::header_read`]
//! and bodies at a minimum rate ([`crate::body_rate`]), so slow clients cannot hold connections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use futures::future::BoxFuture;
use http::StatusCode;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::telemetry::{metrics, middleware, names};

/// A named dependency probe for `/readyz`.
#[derive(Clone)]
pub struct Check {
    name: &'static str,
    probe: Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
    /// Whether a failure makes the service not ready (else it is only shown).
    gates: bool,
}

impl Check {
    /// A probe that succeeds when the dependency answers.
    pub fn new<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            name,
            probe: Arc::new(move || Box::pin(probe())),
            gates: true,
        }
    }

    /// A probe whose state `/readyz` shows without becoming not ready when it fails (the
    /// service registry: an instance that cannot register still serves).
    pub fn informational<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            gates: false,
            ..Self::new(name, probe)
        }
    }

    /// Runs the probe, failing after [`PROBE_TIMEOUT`].
    async fn run(&self) -> Result<(), String> {
        match tokio::time::timeout(PROBE_TIMEOUT, (self.probe)()).await {
            Ok(outcome) => outcome,
            Err(_) => Err("timed out".to_owned()),
        }
    }
}

/// Whether every gating check passes (what `/readyz` answers, without the detail).
async fn all_ready(checks: &[Check]) -> bool {
    for c in checks.iter().filter(|c| c.gates) {
        if c.run().await.is_err() {
            return false;
        }
    }
    true
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

async fn readyz(State(checks): State<Arc<Vec<Check>>>) -> impl IntoResponse {
    let results =
        futures::future::join_all(checks.iter().map(|c| async move { (c, c.run().await) })).await;
    let ready = results.iter().all(|(c, r)| r.is_ok() || !c.gates);
    // The failure's own text (addresses, versions) goes to the log, never into the answer.
    let detail: Map<String, Value> = results
        .into_iter()
        .map(|(c, r)| {
            let name = c.name;
            let state = match r {
                Ok(()) => "ok",
                Err(why) if c.gates => {
                    tracing::warn!(dependency = name, error.message = %why, "readiness check failed");
                    "unavailable"
                }
                Err(_) => "unavailable",
            };
            (name.to_owned(), Value::String(state.to_owned()))
        })
        .collect();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({"status": if ready { "ready" } else { "not ready" }, "checks": detail})),
    )
}

/// How large a request body may be, and how slowly it may arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub min_rate: crate::body_rate::MinRate,
}

impl BodyLimits {
    /// `max_bytes`, with the default rate (1 KiB per 10 s).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            min_rate: crate::body_rate::MinRate {
                min_bytes: 1024,
                window: Duration::from_secs(10),
            },
        }
    }

    /// The limits a service's `[http]` section sets.
    pub fn from_config(http: &crate::config::HttpConfig) -> Self {
        Self {
            max_bytes: http.body_limit,
            min_rate: crate::body_rate::MinRate {
                min_bytes: http.min_read_bytes,
                window: Duration::from_secs(http.read_window_secs.max(1)),
            },
        }
    }
}

/// What a server admits: request bodies, and requests in flight at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub body: BodyLimits,
    /// More at once are refused at once with 503 (load shedding), not queued.
    pub max_in_flight: usize,
}

impl Limits {
    /// `body`, with [`DEFAULT_MAX_IN_FLIGHT`](crate::config::DEFAULT_MAX_IN_FLIGHT).
    pub fn body(body: BodyLimits) -> Self {
        Self {
            body,
            max_in_flight: crate::config::DEFAULT_MAX_IN_FLIGHT,
        }
    }

    /// The limits a service's `[http]` section sets.
    pub fn from_config(http: &crate::config::HttpConfig) -> Self {
        Self {
            body: BodyLimits::from_config(http),
            max_in_flight: http.max_in_flight,
        }
    }
}

/// The service's routes wrapped with RED metrics, plus the operational endpoints and the limits:
/// body size, the slowest rate a body may arrive at ([`crate::body_rate`]), and requests in
/// flight ([`guard`]).
pub fn app(routes: Router, checks: Vec<Check>, limits: Limits) -> Router {
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(Arc::new(checks))
        .route("/metrics", get(metrics::handler));
    let rate = limits.body.min_rate;
    guard(routes, limits.max_in_flight)
        .merge(ops)
        .route_layer(axum::middleware::from_fn(middleware::red))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limits.body.max_bytes,
        ))
        .layer(axum::middleware::map_request(
            move |req: axum::extract::Request| async move {
                req.map(|body| crate::body_rate::wrap(body, rate))
            },
        ))
}

/// Overload protection on a service's own routes (the probes and `/metrics` stay answerable):
/// at most `max_in_flight` requests run at once and one more is refused at once with 503 and
/// code 10009 (`UNAVAILABLE`, `Retry-After: 1`) instead of waiting in a queue that only grows, so
/// the router moves it to another instance; a handler that panics answers 500 (code 10001) and
/// the process and its other requests go on.
fn guard(routes: Router, max_in_flight: usize) -> Router {
    use tower::ServiceBuilder;
    let permits = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    routes.layer(
        ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(
                |_: tower::BoxError| async { shed() },
            ))
            .load_shed()
            .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
                permits,
            ))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
            .layer(axum::middleware::from_fn(to_completion)),
    )
}

/// Runs a handler to its end even when its client goes away. Dropped half-way, a handler could
/// leave a pooled MySQL connection inside a transaction that sqlx no longer knows of: `BEGIN`
/// sent, its answer never read, so the connection goes back to the pool with the server still in
/// the transaction. Every later user of that connection would then read an old snapshot, and its
/// writes would wait for someone's next `BEGIN` to be committed (seen under load: counters read
/// through such a connection lagged by a minute). A panic still reaches the panic layer outside.
async fn to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let handler = tokio::spawn(next.run(req).instrument(tracing::Span::current()));
    match handler.await {
        Ok(response) => response,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        // Cancelled: only a runtime that is shutting down cancels its tasks.
        Err(_) => refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            &crate::AppError::with_message(
                crate::ErrorCode::Unavailable,
                "the service is stopping",
            ),
        ),
    }
}

fn refusal(status: StatusCode, err: &crate::AppError) -> axum::response::Response {
    (status, axum::Json(err.envelope())).into_response()
}

fn shed() -> axum::response::Response {
    metrics::counter(
        names::HTTP_SHED,
        "Requests refused because the service was at capacity",
    )
    .inc();
    let mut answer = refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        &crate::AppError::with_message(
            crate::ErrorCode::Unavailable,
            "the service is at capacity, retry shortly",
        ),
    );
    answer.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    answer
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    // The panic's own message went to the log through the panic hook.
    tracing::error!("a request handler panicked; answered 500");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        &crate::AppError::new(crate::ErrorCode::Internal),
    )
}

/// How long a server waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For in-flight requests after a shutdown signal.
    pub grace: Duration,
    /// For a request's head (request line and headers), and for the next request on an idle
    /// keep-alive connection: a slower client is disconnected, so trickled headers cannot hold
    /// connections open. Clients that pool connections keep their idle time below it.
    pub header_read: Duration,
}

impl Timeouts {
    /// The waits a service's `[http]` section sets.
    pub fn from_config(http: &crate::config::HttpConfig) -> Self {
        Self {
            grace: Duration::from_secs(http.shutdown_grace_secs),
            header_read: Duration::from_secs(http.header_timeout_secs.max(1)),
        }
    }
}

impl Timeouts {
    /// `grace`, with the default header timeout (30 s).
    pub fn new(grace: Duration) -> Self {
        Self {
            grace,
            header_read: Duration::from_secs(30),
        }
    }
}

/// What [`serve_configured`] serves: the service's name (logs, metrics, the registry), its
/// routes, readiness checks and `[http]` section, and its GraphQL path when it is a subgraph.
pub struct Served<'a> {
    pub name: &'a str,
    pub routes: Router,
    pub checks: Vec<Check>,
    pub http: &'a crate::config::HttpConfig,
    pub graphql_path: Option<&'a str>,
}

/// Serves `served.routes` (wrapped by [`app`] with its checks) on `listener` until `shutdown`,
/// with the body limits and waits of the `[http]` section. With `[http.registry]` set, the
/// instance registers once ready and deregisters before draining ([`crate::registry`]).
pub async fn serve_configured(
    listener: TcpListener,
    served: Served<'_>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Served {
        name,
        routes,
        mut checks,
        http,
        graphql_path,
    } = served;
    let addr = listener.local_addr()?;
    let gating = Arc::new(checks.clone());
    let announcer = crate::registry::announce::Announcer::start(
        &http.registry,
        crate::registry::announce::Announced {
            service: name,
            addr,
            graphql_path,
        },
        move || {
            let gating = Arc::clone(&gating);
            Box::pin(async move { all_ready(&gating).await })
        },
    )
    .map_err(std::io::Error::other)?;
    if let Some(a) = &announcer {
        checks.push(a.check());
    }
    let shutdown = async move {
        shutdown.await;
        if let Some(a) = announcer {
            a.withdraw().await;
        }
    };
    let app = app(routes, checks, Limits::from_config(http));
    tracing::info!(server.address = %addr, service.name = name, "listening");
    serve(listener, app, shutdown, Timeouts::from_config(http)).await
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish for at
/// most `timeouts.grace` before returning. Connections are HTTP/1.1 (with upgrades, for
/// WebSockets), with `timeouts.header_read` on every request head.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    timeouts: Timeouts,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a receiver; `closed()` resolves when the last one ends.
    let (open_tx, open_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((io, _)) => {
                    let conn = connection(io, app.clone(), timeouts.header_read, stop_rx.clone());
                    let open = open_rx.clone();
                    tokio::spawn(async move {
                        conn.await;
                        drop(open);
                    });
                }
                Err(err) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!(error.message = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    tracing::info!("shutdown requested; draining");
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_rx);
    if tokio::time::timeout(timeouts.grace, open_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = timeouts.grace.as_secs(),
            "grace period over; dropping open connections"
        );
    }
    Ok(())
}

/// Serves one connection until it ends, or finishes its requests once `stop` fires.
async fn connection(
    io: tokio::net::TcpStream,
    app: Router,
    header_read: Duration,
    mut stop: watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let service = hyper_util::service::TowerToHyperService::new(
        app.map_request(|req: http::Request<hyper::body::Incoming>| req.map(axum::body::Body::new)),
    );
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let stopping = tokio::select! {
        result = conn.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(error.message = %err, "connection ended with an error");
            }
            false
        }
        _ = stop.wait_for(|stop| *stop) => true,
    };
    if stopping {
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Fans one shutdown out to a service's background tasks (relay, consumers, timers): each task
/// awaits its own [`Stop::wait`]; the server's shutdown future, wrapped by [`Stop::after`], fires
/// them all once the server has been told to stop.
#[derive(Clone)]
pub struct Stop {
    tx: Arc<watch::Sender<bool>>,
    rx: watch::Receiver<bool>,
}

impl Default for Stop {
    fn default() -> Self {
        let (tx, rx) = watch::channel(false);
        Self {
            tx: Arc::new(tx),
            rx,
        }
    }
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolves once the stop fired (at once if it already has).
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// `shutdown`, then the stop: pass this to the server so background tasks end with it.
    pub fn after(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let tx = Arc::clone(&self.tx);
        async move {
            shutdown.await;
            let _ = tx.send(true);
        }
    }
}
