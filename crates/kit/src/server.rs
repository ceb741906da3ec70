//! Serving a service: RED middleware on its routes, `/healthz` (alive), `/readyz` (dependencies
//! reachable), `/metrics`, a request body limit, and graceful shutdown that drains in-flight
//! requests for a bounded grace period.
//!
//! Shutdown is a parameter (`impl Future`), so tests bind port 0 and stop the server when they like;
//! binaries pass [`shutdown_signal`].

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

use crate::telemetry::{metrics, middleware};

/// A named dependency probe for `/readyz`.
#[derive(Clone)]
pub struct Check {
    name: &'static str,
    probe: Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
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
        }
    }
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

async fn readyz(State(checks): State<Arc<Vec<Check>>>) -> impl IntoResponse {
    let results = futures::future::join_all(checks.iter().map(|c| async move {
        let outcome = match tokio::time::timeout(PROBE_TIMEOUT, (c.probe)()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("timed out".to_owned()),
        };
        (c.name, outcome)
    }))
    .await;
    let ready = results.iter().all(|(_, r)| r.is_ok());
    let detail: Map<String, Value> = results
        .into_iter()
        .map(|(name, r)| {
            (
                name.to_owned(),
                Value::String(r.err().unwrap_or_else(|| "ok".to_owned())),
            )
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

/// The service's routes wrapped with RED metrics, plus the operational endpoints and the body limit.
pub fn app(routes: Router, checks: Vec<Check>, body_limit: usize) -> Router {
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(Arc::new(checks))
        .route("/metrics", get(metrics::handler));
    routes
        .merge(ops)
        .route_layer(axum::middleware::from_fn(middleware::red))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(body_limit))
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish for at
/// most `grace` before returning.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (tx, mut rx) = watch::channel(false);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutdown requested; draining");
        let _ = tx.send(true);
    };
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        _ = rx.wait_for(|stop| *stop) => {}
    }
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "grace period over; dropping open connections"
            );
            Ok(())
        }
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
