//! [`App`]: one service running inside the test process, the harness every service's tests wrap.
//!
//! It starts the service's `run(config, listener, shutdown)` on a free local port
//! ([`crate::service`]), waits for its `/readyz`, and signs GraphQL requests as the router would
//! ([`crate::signed::Signer`]). It owns the test's database ([`crate::ScratchDatabase`]), so the
//! database is dropped when the test ends, passed or failed; [`App::stop`] stops the service and
//! keeps it, for a restart on the same state.

use std::fmt::Debug;
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use kit::caller::Caller;
use serde_json::Value;

use crate::service::Running;
use crate::signed::Signer;

/// A running service and what the test needs to talk to it.
pub struct App<C> {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// `<base>/graphql`.
    pub url: String,
    /// The configuration it runs on (restart with it after [`App::stop`]).
    pub config: C,
    /// Signs the caller and client headers as the router does.
    pub signer: Signer,
    pub client: reqwest::Client,
    running: Running,
}

impl<C: Clone> App<C> {
    /// Starts `run` on `config` and waits until it is ready; the database `database` (made by the
    /// service's migrations) is dropped with the app.
    pub async fn start<F, Fut, E>(config: C, database: &str, run: F) -> Self
    where
        F: FnOnce(C, tokio::net::TcpListener, crate::service::Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Debug,
    {
        let running = crate::service::serve(None, config.clone(), database, run).await;
        App {
            url: format!("{}/graphql", running.base),
            base: running.base.clone(),
            config,
            signer: Signer::new(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("an HTTP client"),
            running,
        }
    }

    /// Stops the service and waits until it has shut down; the database stays (start again on
    /// the returned configuration to restart on the same state).
    pub async fn stop(self) -> C {
        self.running.stop().await;
        self.config
    }
}

impl<C> App<C> {
    /// Runs `query` anonymously (as the router forwards a visitor).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(&Caller::Anonymous, query, variables).await
    }

    /// Runs `query` as `caller`; returns the whole response body.
    pub async fn gql_as(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        self.gql_from(caller, None, query, variables).await
    }

    /// Runs `query` as `caller` from the client at `client` (signed as the router would).
    pub async fn gql_from(
        &self,
        caller: &Caller,
        client: Option<IpAddr>,
        query: &str,
        variables: Value,
    ) -> Value {
        self.signer
            .graphql(&self.url, caller, client, query, variables)
            .await
    }

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        crate::get_text(&self.client, &format!("{}/metrics", self.base)).await
    }
}
