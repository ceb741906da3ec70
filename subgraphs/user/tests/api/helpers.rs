//! `spawn_app`: the user service on testkit's harness (its own database on a free port, GraphQL
//! signed as the router would), plus the user operations the tests repeat.

use std::net::IpAddr;

use kit::caller::Caller;
use serde_json::{Value, json};

/// The harness, with the user operations on top (`Deref` gives its fields and GraphQL calls).
pub struct TestApp(testkit::app::App<user::config::Config>);

impl std::ops::Deref for TestApp {
    type Target = testkit::app::App<user::config::Config>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with `tune` applied to the configuration first.
pub async fn spawn_app_with(tune: impl FnOnce(&mut user::config::Config)) -> TestApp {
    testkit::require_mysql();
    testkit::require_redis();
    testkit::require_kafka();
    let mut config = user::config::local(&testkit::local_servers("clipfed_test")).unwrap();
    tune(&mut config);
    let database = config.db.database.clone();
    TestApp(testkit::app::App::start(config, &database, user::run).await)
}

impl TestApp {
    /// The token keys the service signs with (the router verifies with the same).
    pub fn token_keys(&self) -> kit::token::TokenKeys {
        let auth = &self.config.auth;
        kit::token::TokenKeys::new(&auth.jwt_key, auth.access_ttl_secs, auth.refresh_ttl_secs)
            .unwrap()
    }

    /// Raw POST of `body` bytes (malformed input through the HTTP layer).
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, Value) {
        let res = self
            .signer
            .post(&self.url, &Caller::Anonymous, None)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn register(&self, username: &str, password: &str) -> Value {
        self.gql(
            "mutation($u: String!, $p: String!) { register(username: $u, password: $p) { id username avatarUrl createdAt deletedAt } }",
            json!({"u": username, "p": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str, code: Option<&str>) -> Value {
        self.login_from(None, username, password, code).await
    }

    /// A login as the router would forward it from the client at `client`.
    pub async fn login_from(
        &self,
        client: Option<IpAddr>,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Value {
        self.gql_from(
            &Caller::Anonymous,
            client,
            "mutation($u: String!, $p: String!, $c: String) { login(username: $u, password: $p, code: $c) { user { id username } accessToken refreshToken } }",
            json!({"u": username, "p": password, "c": code}),
        )
        .await
    }

    pub async fn refresh(&self, token: &str) -> Value {
        self.gql("mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken refreshToken } }", json!({"t": token}))
            .await
    }

    /// Stops the service and drops the test's database (which a failed test's drop does too).
    pub async fn cleanup(self) {
        drop(self);
    }
}

pub use testkit::error_code as code;

/// The id of a registered user.
pub fn id_of(body: &Value) -> i64 {
    body["data"]["register"]["id"]
        .as_str()
        .expect("registered")
        .parse()
        .unwrap()
}
