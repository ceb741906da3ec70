//! Shared test helpers: a small GraphQL schema and a running kit server on port 0.

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::{EmptySubscription, Object, Schema};
use axum::Router;
use kit::server::{self, Check};
use kit::{AppError, ErrorCode};
use tokio::sync::oneshot;

pub struct Query;

#[Object]
impl Query {
    /// A constant, for smoke tests.
    async fn hello(&self) -> &'static str {
        "world"
    }

    /// Echoes its argument.
    async fn echo(&self, text: String) -> String {
        text
    }

    /// Always fails with a coded error.
    async fn forbidden(&self) -> async_graphql::Result<i32> {
        Err(AppError::new(ErrorCode::Forbidden).into())
    }

    /// The verified caller, as the caller hook attached it.
    async fn caller(&self, ctx: &async_graphql::Context<'_>) -> String {
        format!("{:?}", ctx.data_opt::<kit::caller::Caller>())
    }

    /// The viewer the request hook attached, if any.
    async fn viewer(&self, ctx: &async_graphql::Context<'_>) -> Option<String> {
        ctx.data_opt::<Viewer>().map(|v| v.0.clone())
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    async fn bump(&self) -> i32 {
        1
    }
}

#[derive(Clone)]
pub struct Viewer(pub String);

pub type TestSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema() -> TestSchema {
    Schema::build(Query, Mutation, EmptySubscription).finish()
}

/// A running server; dropping `stop` (or sending on it) shuts it down.
pub struct Running {
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signals shutdown and waits for the server to return.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.await.expect("server task")
    }
}

/// The header timeout of [`spawn`]'s servers.
pub const HEADER_READ: Duration = Duration::from_secs(2);

/// Serves `routes` through `kit::server` on 127.0.0.1:0.
pub async fn spawn(routes: Router, checks: Vec<Check>, body_limit: usize) -> Running {
    spawn_with(
        routes,
        checks,
        server::Limits::body(server::BodyLimits::new(body_limit)),
    )
    .await
}

/// [`spawn`] with limits of the test's choosing.
pub async fn spawn_with(routes: Router, checks: Vec<Check>, limits: server::Limits) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let app = server::app(routes, checks, limits);
    let handle = tokio::spawn(server::serve(
        listener,
        app,
        async move {
            let _ = rx.await;
        },
        // A short header timeout, so the slow-client test runs in seconds.
        server::Timeouts {
            grace: Duration::from_secs(5),
            header_read: HEADER_READ,
        },
    ));
    Running {
        addr,
        stop: Some(tx),
        handle,
    }
}

/// The test schema behind kit's GraphQL handler at `/graphql`.
pub async fn spawn_graphql(hook: Option<kit::graphql_http::RequestHook>) -> Running {
    spawn(
        kit::graphql_http::router("/graphql", schema(), hook, 64 * 1024),
        vec![],
        64 * 1024,
    )
    .await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}
